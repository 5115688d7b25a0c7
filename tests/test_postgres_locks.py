"""The service's advisory lock on a PostgreSQL database: a second service is refused even from another data folder,
the lock is taken again when its session ends, the schedule pauses while another holds it, and only this database's
holder is named."""

from __future__ import annotations

import asyncio
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from digest.service.process import Service
from digest.service.wiring import open_service_database
from digest.storage.db import Database, create_database_engine, open_database
from tests.arxiv_server import ArxivServer
from tests.postgres_server import postgres_server, postgres_url  # noqa: F401  (fixtures)
from tests.postgres_service import pg_settings
from tests.service_runs import wait_settled


def test_two_services_on_one_postgresql_database_are_refused_even_from_two_data_folders(
    tmp_path: Path,
    postgres_url: str,  # noqa: F811
) -> None:
    """The data folder's flock cannot see a second folder; the advisory lock on the shared database does, and
    it goes when the first service lets go (its session closed, not parked in the pool)."""
    from digest.storage.datalock import DataLockError, lock_data_folder, lock_database

    first_settings = pg_settings(tmp_path / "one", postgres_url)
    second_settings = pg_settings(tmp_path / "two", postgres_url)
    first_db, second_db = open_service_database(first_settings), open_service_database(second_settings)
    try:
        first = lock_data_folder(first_settings.data_dir)
        lock_database(first, first_db)
        second = lock_data_folder(second_settings.data_dir)  # another folder: its own flock is free
        with pytest.raises(DataLockError, match=r"another digest service \(pid \d+\) is running on this PostgreSQL"):
            lock_database(second, second_db)
        first.release()
        lock_database(second, second_db)  # free again once the first one let go
        second.release()
    finally:
        first_db.dispose()
        second_db.dispose()


def _end_lock_session(url: str) -> int:
    """What a server restart or a failover does to the session holding the service's advisory lock. The session is
    found in pg_locks, not through the service's lock object: the service may be taking the lock again meanwhile (its
    new session holds it before the object names that session), and the old session is gone already. How many sessions
    were ended: none while the service is between two."""
    from digest.storage.datalock import ADVISORY_KEY

    admin = create_database_engine(url)
    try:
        with admin.connect() as connection:
            ended = connection.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND granted"
                    " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
                    " AND classid::bigint = :high AND objid::bigint = :low AND objsubid = 1"
                ),
                {"high": ADVISORY_KEY >> 32, "low": ADVISORY_KEY & 0xFFFF_FFFF},
            ).all()
            connection.commit()
    finally:
        admin.dispose()
    return len(ended)


def _take_over(other: Any, other_database: Database, url: str) -> None:
    """The first service's session ends and a second service starts meanwhile. The first checks its lock every
    fraction of a second here, so it may take the lock back first: then the session is ended again."""
    from digest.storage.datalock import DataLockError, lock_database

    for _ in range(20):
        _end_lock_session(url)
        try:
            lock_database(other, other_database)
            return
        except DataLockError:
            time.sleep(0.05)
    raise AssertionError("the first service took its lock back twenty times before the second could take it")


def test_a_service_whose_lock_session_ended_takes_the_lock_again(tmp_path: Path, postgres_url: str) -> None:  # noqa: F811
    """The lock's session ends under the first service; its next check takes the lock again, so a second service
    on the same database is still refused (it used to start beside the first: two schedulers)."""
    from digest.storage.datalock import DataLockError, lock_data_folder, lock_database, recheck_database_lock

    database, other = open_database(postgres_url), open_database(postgres_url)
    first, second = lock_data_folder(tmp_path / "a"), lock_data_folder(tmp_path / "b")
    try:
        lock_database(first, database)
        assert recheck_database_lock(first, database) is True
        assert _end_lock_session(postgres_url) == 1
        assert recheck_database_lock(first, database) is True
        with pytest.raises(DataLockError, match="another digest service"):
            lock_database(second, other)
    finally:
        second.release()
        first.release()
        other.dispose()
        database.dispose()


@pytest.mark.asyncio
async def test_when_another_service_took_the_lock_the_schedule_pauses_until_it_is_free(
    tmp_path: Path,
    postgres_url: str,  # noqa: F811
) -> None:
    from apscheduler.schedulers.base import STATE_PAUSED, STATE_RUNNING

    from digest import health
    from digest.storage.datalock import lock_data_folder

    async with ArxivServer() as arxiv:
        feed = arxiv.serve_file("/rss/cs.CL", "rss/rss_cs.CL_2026-04-27_trimmed-3items.xml")
        bare = tmp_path / "list.git"
        subprocess.run(["git", "init", "--quiet", "--bare", str(bare)], check=True)
        config = (
            f'[arxiv]\nsources = ["{feed}"]\nmin_interval_seconds = 0.01\n'
            f'api_url = "http://127.0.0.1:9/api/query"\n[publish]\nrepository = "{bare.as_uri()}"\n'
        )
        settings = pg_settings(tmp_path, postgres_url, config)
        service = Service(settings)
        service.lock_check_seconds = 0.2
        await service.start(serve_web=False)
        other_database = open_database(postgres_url)
        other = lock_data_folder(tmp_path / "other")
        try:
            await wait_settled(service)
            assert service._data_lock is not None and service.scheduler is not None
            await asyncio.to_thread(_take_over, other, other_database, postgres_url)
            for _ in range(100):  # the schedule pauses first, then the publisher stops
                if service.scheduler.state == STATE_PAUSED and service.publisher is None:
                    break
                await asyncio.sleep(0.1)
            (component,) = [c for c in health.components() if c.name == "database"]
            assert service.scheduler.state == STATE_PAUSED and service.publisher is None  # nor does it push
            assert not component.ok and "schedule, Discord and publishing paused" in component.message
            other.release()  # the second one stops: the first takes its lock back and its schedule runs again
            for _ in range(100):
                if service.scheduler.state == STATE_RUNNING and service.publisher is not None:
                    break
                await asyncio.sleep(0.1)
            assert service.scheduler.state == STATE_RUNNING and service.publisher is not None
            assert [c.ok for c in health.components() if c.name == "database"] == [True]
        finally:
            other.release()
            other_database.dispose()
            await service.stop()


def test_a_refusal_never_names_a_service_of_another_database_on_the_same_server(
    tmp_path: Path,
    postgres_server: Any,  # noqa: F811
    postgres_url: str,  # noqa: F811
) -> None:
    """pg_locks and pg_stat_activity list every database of the server: a service refused on its own database named
    the service of another deployment on the same server, and told to end its session with pg_terminate_backend, which
    would have stopped the wrong service. Only a holder of this database's own lock is named now."""
    from digest.storage.datalock import ADVISORY_KEY, DataLockError, lock_data_folder, lock_database

    with postgres_server.fresh_database() as elsewhere_url:
        elsewhere_settings = pg_settings(tmp_path / "elsewhere", elsewhere_url)
        elsewhere = open_service_database(elsewhere_settings)
        ours = open_service_database(pg_settings(tmp_path / "ours", postgres_url))
        holder = create_database_engine(postgres_url)
        try:
            other_lock = lock_data_folder(elsewhere_settings.data_dir)
            lock_database(other_lock, elsewhere)  # another deployment's service, on its own database
            other_backend = other_lock.connection.execute(text("SELECT pg_backend_pid()")).scalar()
            with holder.connect() as session:  # this database's lock, held by a session of no name
                session.execute(text("SELECT pg_advisory_lock(:key)"), {"key": ADVISORY_KEY})
                session.commit()
                mine = lock_data_folder(tmp_path / "ours" / "data")
                with pytest.raises(DataLockError) as refused:
                    lock_database(mine, ours)
                mine.release()
            other_lock.release()
        finally:
            holder.dispose()
            ours.dispose()
            elsewhere.dispose()
    assert "is running on this PostgreSQL database" in str(refused.value)
    assert f"pg_terminate_backend({other_backend})" not in str(refused.value), refused.value
