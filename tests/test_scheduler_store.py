"""The scheduler keeps its timer when its job store fails: the jobs live in the service's SQLite file, and another
process may hold that file's write lock past the busy timeout (or the disk may be full). APScheduler 3 raised out of
its wake-up and never woke again: no poll, retry or weekly digest until a restart."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from pathlib import Path

import pytest
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import create_engine

from digest import health
from digest.service.schedule import SteadyScheduler
from tests.conftest import fill_disk, mounted_tmpfs
from tests.waiting import until

RUNS: list[float] = []


def tick() -> None:
    RUNS.append(time.monotonic())


def hold_write_lock(path: Path, held: threading.Event, release: threading.Event) -> None:
    """Another process's long write transaction: the file's write lock, held until `release` (30 s at most; reads go
    on; the scheduler's update of a job's next run is what fails)."""
    connection = sqlite3.connect(path, isolation_level=None)
    try:
        connection.execute("BEGIN IMMEDIATE")
        held.set()
        release.wait(30)
        connection.execute("ROLLBACK")
    finally:
        connection.close()


@pytest.mark.asyncio
async def test_jobs_run_again_once_a_locked_job_store_answers(tmp_path: Path) -> None:
    database = tmp_path / "jobs.sqlite3"
    with sqlite3.connect(database) as setup:  # as the service's database: readers go on while a writer holds the lock
        setup.execute("PRAGMA journal_mode=WAL")
    # A short busy timeout stands for the service's 10 s one, so that the lock outlasts it quickly.
    engine = create_engine(f"sqlite:///{database}", connect_args={"timeout": 0.1})
    scheduler = SteadyScheduler(jobstores={"default": SQLAlchemyJobStore(engine=engine)})
    scheduler.retry_seconds = 0.3
    RUNS.clear()
    scheduler.start()
    try:
        scheduler.add_job(f"{__name__}:tick", IntervalTrigger(seconds=0.5), id="tick", coalesce=True)
        await until(lambda: RUNS, "the job's first run")
        held, release = threading.Event(), threading.Event()
        locker = threading.Thread(target=hold_write_lock, args=(database, held, release))
        locker.start()
        await asyncio.to_thread(held.wait, 5)
        # /healthz is read while the lock is held (read after, a loaded machine's retry may have mended it already).
        try:
            during = await until(
                lambda: [c.message for c in health.components() if c.name == "schedule" and not c.ok],
                "/healthz saying the job store is locked",
            )
        finally:
            release.set()
            locker.join()
        released = time.monotonic()
        await until(lambda: [moment for moment in RUNS if moment > released], "a run after the job store answered")
        assert "the scheduled jobs cannot be read or updated" in during[0]  # /healthz said so meanwhile
        (component,) = [c for c in health.components() if c.name == "schedule"]
        assert component.ok
    finally:
        scheduler.shutdown(wait=False)
        await asyncio.sleep(0)
        engine.dispose()


@pytest.mark.asyncio
async def test_a_job_store_on_a_full_disk_names_the_disk(tmp_path: Path) -> None:
    """The service's database filling its disk: the scheduler's line (log and /healthz) said only "the scheduled jobs
    cannot be read or updated: database or disk is full", not which disk, as the poll's and the commands' lines say."""
    with mounted_tmpfs(tmp_path / "disk", "4m") as disk:
        database = disk / "jobs.sqlite3"
        with sqlite3.connect(database) as setup:
            setup.execute("PRAGMA journal_mode=WAL")
        engine = create_engine(f"sqlite:///{database}")
        scheduler = SteadyScheduler(jobstores={"default": SQLAlchemyJobStore(engine=engine)})
        scheduler.retry_seconds = 0.3
        RUNS.clear()
        scheduler.start()
        try:
            scheduler.add_job(f"{__name__}:tick", IntervalTrigger(seconds=0.3), id="tick", coalesce=True)
            await until(lambda: RUNS, "the job's first run")
            fill_disk(disk)
            said: list[str] = []
            for _ in range(100):
                said = [c.message for c in health.components() if c.name == "schedule" and not c.ok]
                if said:
                    break
                await asyncio.sleep(0.05)
        finally:
            scheduler.shutdown(wait=False)
            await asyncio.sleep(0)
            engine.dispose()
    assert said and "database or disk is full" in said[0], said
    assert f"the disk holding {disk} is full" in said[0], said
