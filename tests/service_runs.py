"""The set-up of the service tests: the poll runs on record, the jobs the scheduler stored (and one moved into the
past, as if the machine was off), a service waited for until start-up settled, and a config polling one real feed."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED, JobExecutionEvent
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.base import BaseScheduler
from sqlalchemy import func, select

from digest.config import Settings
from digest.service.process import Service
from digest.storage.db import Database, open_database
from digest.storage.state import PollRun
from tests.arxiv_server import ArxivServer
from tests.smtp_server import free_port

ROOT = Path(__file__).resolve().parent.parent
WAKE_UP_JOB = "test-wake-up"


def poll_runs(settings: Settings) -> int:
    database = open_database(settings.database_url)
    try:
        with database.reading() as session:
            return session.scalar(select(func.count(PollRun.id))) or 0
    finally:
        database.dispose()


def open_job_store(settings: Settings) -> tuple[SQLAlchemyJobStore, Database]:
    """The job store the service uses, read directly (no scheduler that could run or move the jobs)."""
    database = open_database(settings.database_url)
    store = SQLAlchemyJobStore(engine=database.engine)
    store.start(None, "default")
    return store, database


def stored_jobs(settings: Settings) -> dict[str, datetime]:
    store, database = open_job_store(settings)
    try:
        return {job.id: job.next_run_time for job in store.get_all_jobs()}
    finally:
        database.dispose()


def pretend_the_machine_was_off(settings: Settings, job_id: str) -> None:
    """Moves a stored job's next run into the past, as if the service had been down when it was due."""
    store, database = open_job_store(settings)
    try:
        job = store.lookup_job(job_id)
        assert job is not None
        job.next_run_time = datetime.now(UTC) - timedelta(hours=3)
        store.update_job(job)
    finally:
        database.dispose()


def wake_up_mark() -> None:
    """A scheduled job that does nothing: its run shows the scheduler woke up after the test changed its jobs."""


async def one_wake_up(scheduler: BaseScheduler, timeout: float = 30.0) -> None:
    """Until the scheduler has woken up once after now: it looks at every job (SteadyScheduler's clock checks) before it
    runs the one-off job added here, due at once, and tells that job's run."""
    ran = asyncio.Event()
    loop = asyncio.get_running_loop()

    def heard(event: JobExecutionEvent) -> None:
        if event.job_id == WAKE_UP_JOB:
            loop.call_soon_threadsafe(ran.set)

    scheduler.add_listener(heard, EVENT_JOB_EXECUTED | EVENT_JOB_ERROR)
    try:
        scheduler.add_job(wake_up_mark, id=WAKE_UP_JOB, name=WAKE_UP_JOB, replace_existing=True)
        await asyncio.wait_for(ran.wait(), timeout)
    except TimeoutError:
        raise AssertionError(f"the scheduler did not wake up within {timeout:g} s") from None
    finally:
        scheduler.remove_listener(heard)


async def wait_settled(service: Service, timeout: float = 30.0) -> None:
    """Until start-up has decided what to run at once and all of it (polls, the bot's posting) has finished."""
    try:
        await asyncio.wait_for(service.settled.wait(), timeout)
    except TimeoutError:
        raise AssertionError(f"the service did not settle after start within {timeout:g} s") from None


def one_feed_config(arxiv: ArxivServer) -> str:
    """A config polling one real recorded feed on the loopback arXiv, without the 3 s spacing."""
    feed = arxiv.serve_file("/rss/cs.CL", "rss/rss_cs.CL_2026-04-27_trimmed-3items.xml")
    return f'[arxiv]\nsources = ["{feed}"]\nmin_interval_seconds = 0.01\napi_url = "http://127.0.0.1:9/api/query"\n'


def spawned_service(
    tmp_path: Path, source: str, *, own_group: bool = False, web: str = "", secrets: Mapping[str, str] | None = None
) -> tuple[subprocess.Popen[bytes], Path]:
    """`digest run` in a child process polling `source` (no retries, the web on a free port and `web`'s further
    settings), with nothing of this environment's secrets but `secrets` (DISCORD_TOKEN for the fake Discord); its
    output goes to the returned log file. `own_group`: in a process group of its own, to be signalled as a whole (as
    systemd stops a unit)."""
    config = tmp_path / "config.toml"
    config.write_text(
        f'[arxiv]\nsources = ["{source}"]\nmin_interval_seconds = 0\n'
        f'api_url = "http://127.0.0.1:9/api/query"\nmax_retries = 0\n[web]\nport = {free_port()}\n{web}',
        encoding="utf-8",
    )
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("DIGEST_", "DISCORD_", "SMTP_"))}
    environment["PYTHONPATH"] = str(ROOT)
    environment.update(secrets or {})
    command = [sys.executable, "-m", "digest", "--config", str(config), "--data-dir", str(tmp_path / "data"), "run"]
    log = tmp_path / "service.log"
    with log.open("wb") as output:
        service = subprocess.Popen(
            command, cwd=tmp_path, env=environment, stdout=output, stderr=output, start_new_session=own_group
        )
    return service, log


def wait_started(service: subprocess.Popen[bytes], log: Path, said: str = "start-up: caught up") -> None:
    """Waits (up to 90 s) until the spawned service has caught up at start-up (or logged `said`); fails with its log
    if it ended."""
    deadline = time.monotonic() + 90
    while said not in log.read_text(encoding="utf-8", errors="replace"):
        assert service.poll() is None, log.read_text(encoding="utf-8")
        assert time.monotonic() < deadline, f"the service did not start: {said!r} not logged"
        time.sleep(0.1)


@contextmanager
def started_service(
    tmp_path: Path, source: str, web: str = "", meanwhile: Callable[[], None] | None = None
) -> Iterator[tuple[subprocess.Popen[bytes], Path]]:
    """`spawned_service`, once it has caught up at start-up; killed on the way out if it is still running (a test
    that failed before it stopped). `meanwhile` runs while it starts, once it serves its web (its database made and
    migrated: a `digest` command may use it then)."""
    service, log = spawned_service(tmp_path, source, web=web)
    try:
        if meanwhile is not None:
            wait_started(service, log, "web: serving the list")
            meanwhile()
        wait_started(service, log)
        yield service, log
    finally:
        killed_if_running(service)


def killed_if_running(service: subprocess.Popen[bytes]) -> None:
    """The spawned service killed if it still runs (a test that failed before it stopped), and waited for."""
    if service.poll() is None:
        service.kill()
        service.wait()


def assert_stopped_cleanly(status: int, log: Path) -> None:
    """The service ended as a stop should: exit 0, and "stopped" its last line."""
    lines = log.read_text(encoding="utf-8").splitlines()
    assert status == 0, lines[-5:]
    assert lines[-1].endswith("digest.service: stopped"), lines[-5:]


async def said_by(service: subprocess.Popen[bytes], log: Path, said: str) -> None:
    """Until the spawned service has logged `said` (up to 90 s), the loop left free for the loopback arXiv meanwhile."""
    deadline = time.monotonic() + 90
    while said not in log.read_text(encoding="utf-8", errors="replace"):
        assert service.poll() is None, log.read_text(encoding="utf-8")
        assert time.monotonic() < deadline, f"the service did not say {said!r}"
        await asyncio.sleep(0.1)


async def stopped(service: subprocess.Popen[bytes]) -> int:
    """SIGTERM, then its exit status (up to 60 s)."""
    service.send_signal(signal.SIGTERM)
    return await ended(service)


async def ended(service: subprocess.Popen[bytes]) -> int:
    """Its exit status, once it has ended (up to 60 s)."""
    deadline = time.monotonic() + 60
    while service.poll() is None:
        assert time.monotonic() < deadline, "the service did not stop"
        await asyncio.sleep(0.1)
    return service.returncode


async def caught_up_then_stopped(service: subprocess.Popen[bytes], log: Path) -> None:
    """Until the spawned service has caught up at start-up, then its stop, which must exit 0."""
    await said_by(service, log, "start-up: caught up")
    assert await stopped(service) == 0, log.read_text(encoding="utf-8")


async def scheduled_poll_asked(service: subprocess.Popen[bytes], log: Path, arxiv: ArxivServer, path: str) -> None:
    """Until the spawned service's scheduled poll has begun and asked arXiv for `path` (the second time: the first
    start's poll asked first)."""
    await said_by(service, log, "poll: starting (schedule)")
    for _ in range(200):
        if len(arxiv.requests_to(path)) == 2:
            break
        await asyncio.sleep(0.05)
    assert len(arxiv.requests_to(path)) == 2, "the scheduled poll did not ask arXiv"


def assert_stopped_without_trace(said: str, *, errors: bool = False) -> None:
    """A stop's log `said`: no ERROR line (unless `errors`), no traceback, and "stopped" its last line."""
    if not errors:
        assert "ERROR" not in said, said
    assert "Traceback" not in said, said
    assert said.splitlines()[-1].endswith("digest.service: stopped"), said.splitlines()[-5:]
