"""PostgreSQL: the running service's watch over the database's lock, held in one session. Losing it to another
service pauses what acts outside the database (two would poll, post and mail twice); holding it again resumes that."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from digest import health
from digest.storage.datalock import DataLock
from digest.storage.db import Database

log = logging.getLogger("digest.service")


async def keep_database_lock(
    stopping: asyncio.Event,
    interval: Callable[[], float],
    held_lock: Callable[[], tuple[DataLock, Database] | None],
    pause: Callable[[], Awaitable[None]],
    resume: Callable[[], Awaitable[None]],
) -> None:
    """When the lock's session ends under the service (a server restart, a failover) the lock is taken again; when
    another service took it meanwhile, `pause` runs once (the schedule, Discord and publishing) and `resume` once the
    lock is free again. Every `interval()` seconds until `stopping` is set or `held_lock()` is None (let go)."""
    from digest.storage.datalock import recheck_database_lock

    lost = False
    while not stopping.is_set():
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(interval()):
                await stopping.wait()
        lock = held_lock()
        if stopping.is_set() or lock is None:
            return
        held = await asyncio.to_thread(recheck_database_lock, *lock)
        if held is False and not lost:
            lost = True
            line = "another digest service took the database's lock while this one's session was down"
            log.error("%s; the schedule, Discord and publishing are paused until the lock is free", line)
            health.report("database", False, f"{line}: schedule, Discord and publishing paused")
            await pause()
        elif held and lost:
            lost = False
            log.warning("the database's lock is held again; the schedule, Discord and publishing resume")
            health.report("database", True, "the service holds the database's lock")
            await resume()
