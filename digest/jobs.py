"""Scheduled jobs. They only orchestrate: each asks the running service to do one thing.

APScheduler keeps jobs in the database by textual reference ("digest.jobs:scheduled_poll"), so a job survives a
restart; the running service registers itself here when it starts.
"""

from __future__ import annotations

from typing import Protocol


class RunningService(Protocol):
    async def poll_now(self, reason: str) -> None: ...

    async def retry_poll_if_broken(self) -> None: ...

    async def weekly_now(self) -> None: ...


_service: RunningService | None = None

POLL_JOB = "digest.jobs:scheduled_poll"
RETRY_JOB = "digest.jobs:scheduled_retry"
WEEKLY_JOB = "digest.jobs:scheduled_weekly"


def attach(service: RunningService | None) -> None:
    global _service
    _service = service


def _current() -> RunningService:
    if _service is None:
        raise RuntimeError("a scheduled job ran while no service was running")
    return _service


async def scheduled_poll() -> None:
    await _current().poll_now("schedule")


async def scheduled_retry() -> None:
    await _current().retry_poll_if_broken()


async def scheduled_weekly() -> None:
    await _current().weekly_now()
