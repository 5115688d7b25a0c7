"""The set-up of the weekly email restore tests: weeks sent one Monday after another on a real SQLite file, with a
backup of that file taken after the first, and the weeks the readers' inbox received."""

from __future__ import annotations

import shutil
from datetime import datetime, timedelta
from pathlib import Path

from digest.config import Settings
from digest.service.wiring import open_service_database
from digest.weekly.store import WeeklyResult, run_weekly_job
from tests.smtp_server import Inbox


def weekly_job_at(settings: Settings, when: datetime) -> WeeklyResult:
    """The weekly job run once at `when` on the data folder's database, opened and disposed of as the service does."""
    database = open_service_database(settings)
    try:
        return run_weekly_job(settings, database, when)
    finally:
        database.dispose()


def send_weeks_with_backup(settings: Settings, first_monday: datetime, weeks: int, backup: Path) -> None:
    """The weekly job run on `weeks` Mondays from `first_monday`, the database copied to `backup` after the first."""
    for week in range(weeks):
        weekly_job_at(settings, first_monday + timedelta(weeks=week))
        if week == 0:
            shutil.copyfile(settings.data_dir / "digest.sqlite3", backup)


def sent_weeks(inbox: Inbox) -> list[str]:
    """The ISO weeks of the digests `inbox` received, in order ("2026-W45" from "… — 2026-W45: …")."""
    return [str(message["Subject"]).split(" — ")[1].split(":")[0] for message in inbox.messages]
