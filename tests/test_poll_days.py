"""The poll's retry asks arXiv again only when the poll of the feed arXiv serves now did not go fine. arXiv's day turns
at its announcement (20:00 in New York), not at midnight: a schedule polling in the evening after it and retrying after
midnight read the same feed twice. Real SQLite file, the runs as the poll keeps them."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from digest.arxiv import poll_runs
from digest.arxiv.announcements import ARXIV_ZONE
from digest.service.poll_job import polled_fine_today
from digest.service.wiring import open_service_database
from tests.conftest import make_settings

FEED = "https://rss.arxiv.org/rss/cs.CL"


def _new_york(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 4, day, hour, minute, tzinfo=ARXIV_ZONE)  # 26 April 2026 is a Sunday


def test_a_fine_poll_after_the_announcement_counts_for_that_feed_past_midnight(tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "data", f'[arxiv]\nsources = ["{FEED}"]\n')
    database = open_service_database(settings)
    try:
        started = _new_york(26, 20, 30)  # Sunday evening: Monday's feed, announced at 20:00
        run_id = poll_runs.start_run(database, started)
        summary = {"sources": [{"source": FEED, "outcome": "fetched"}]}
        poll_runs.finish_run(database, run_id, started, "ok", summary)
        assert polled_fine_today(settings, database, _new_york(27, 1))  # the same feed: nothing to retry
        assert polled_fine_today(settings, database, _new_york(27, 19, 59))
        assert not polled_fine_today(settings, database, _new_york(27, 20, 1))  # Tuesday's feed, not polled yet
    finally:
        database.dispose()


def test_a_fine_poll_before_the_announcement_says_nothing_of_the_feed_after_it(tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "data", f'[arxiv]\nsources = ["{FEED}"]\n')
    database = open_service_database(settings)
    try:
        started = _new_york(27, 19, 30)  # Monday's feed, half an hour before Tuesday's is announced
        run_id = poll_runs.start_run(database, started)
        poll_runs.finish_run(database, run_id, started, "ok", {"sources": [{"source": FEED, "outcome": "fetched"}]})
        assert polled_fine_today(settings, database, _new_york(27, 19, 45))
        assert not polled_fine_today(settings, database, _new_york(27, 21))
    finally:
        database.dispose()
