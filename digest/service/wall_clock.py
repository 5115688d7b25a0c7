"""Crontab times as cron reads them on the night the clocks go back, and the job store that keeps its triggers so."""

from __future__ import annotations

import copyreg
from datetime import UTC, datetime
from typing import Any

from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.triggers.cron import CronTrigger


class WallClockCronTrigger(CronTrigger):  # type: ignore[misc]  # APScheduler 3 ships no type hints
    """A crontab line as cron reads it on the night the clocks go back: a time of day in the hour that comes twice
    runs at its first coming only (APScheduler's own runs it in both, a second poll an hour after the first). Decided
    from the time alone, so a restart or the scheduler's check of a clock set back finds the same. A time in the hour
    skipped in spring runs an hour later, as APScheduler does already: no day is missed."""

    def get_next_fire_time(self, previous_fire_time: datetime | None, now: datetime) -> datetime | None:
        fire: datetime | None = super().get_next_fire_time(previous_fire_time, now)
        for _ in range(24 * 60):  # at most every minute of the repeated hour
            if fire is None or not _second_coming(fire):
                break
            fire = super().get_next_fire_time(fire, fire)
        return fire

    def __reduce_ex__(self, protocol: object) -> tuple[object, ...]:
        # Stored as APScheduler's own CronTrigger (same state), which every release reads: the release before has no
        # such class, and its service stopped with a traceback on the jobs this one stored when a maintainer went
        # back to it. WallClockJobStore makes it this kind again when this release reads it.
        rebuild = copyreg._reconstructor  # type: ignore[attr-defined]  # pickle's own, in every Python 3
        return rebuild, (CronTrigger, object, None), self.__getstate__()


class WallClockJobStore(SQLAlchemyJobStore):  # type: ignore[misc]  # APScheduler 3 ships no type hints
    """The service's job store: a cron job read back (stored as a plain CronTrigger, by this release or an older
    one) runs by WallClockCronTrigger's rule again."""

    def _reconstitute_job(self, job_state: bytes) -> Any:
        job = super()._reconstitute_job(job_state)
        if type(job.trigger) is CronTrigger:
            trigger = WallClockCronTrigger.__new__(WallClockCronTrigger)
            trigger.__setstate__(job.trigger.__getstate__())
            job.trigger = trigger
        return job


def _second_coming(moment: datetime) -> bool:
    """Whether `moment` is the second time its wall-clock time comes (the hour the clocks go back)."""
    wall = moment.replace(fold=0)
    return wall.astimezone(UTC) != moment.astimezone(UTC)
