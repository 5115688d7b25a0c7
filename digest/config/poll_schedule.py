"""The poll's schedule as the service keeps it: the configured crontabs, or the announcement's own when those would
poll arxiv.org more often than its one announcement a day needs (one warning line says so, in `digest config check`
and at the service's start; the service still starts)."""

from __future__ import annotations

from dataclasses import dataclass

from digest.config.crontab import runs_a_day
from digest.config.feeds import SOURCES_FILE, FeedsError, read_feed_sources
from digest.config.sections import MAX_POLLS_A_DAY, ArxivSettings, on_arxiv
from digest.config.settings import Settings

ANNOUNCEMENT_POLL = str(ArxivSettings.model_fields["poll_cron"].default)
ANNOUNCEMENT_RETRY = str(ArxivSettings.model_fields["retry_cron"].default)
ANNOUNCEMENT_ZONE = str(ArxivSettings.model_fields["poll_timezone"].default)


@dataclass(frozen=True)
class PollSchedule:
    poll_cron: str
    retry_cron: str
    timezone: str
    warning: str | None = None  # why these are not the configured ones


def _polled_on_arxiv(settings: Settings) -> tuple[str, str] | None:
    """The first polled feed on arxiv.org and where it is named (`sources`, or the feeds file)."""
    named = "sources"
    feeds: tuple[str, ...] | list[str] = settings.arxiv.sources
    if not feeds:
        named = str(settings.feeds_dir / SOURCES_FILE)
        try:
            feeds = list(read_feed_sources(settings.feeds_dir).feeds)
        except FeedsError:  # its own problem, reported where it is read
            return None
    found = next((feed for feed in feeds if on_arxiv(feed)), None)
    return None if found is None else (found, named)


def poll_schedule(settings: Settings) -> PollSchedule:
    """When the poll and its retry run. A schedule of more than MAX_POLLS_A_DAY a day on arxiv.org (accepted by
    releases before the limit, so data folders have run with one for months) gives way to the announcement's."""
    arxiv = settings.arxiv
    configured = PollSchedule(arxiv.poll_cron, arxiv.retry_cron, arxiv.poll_timezone)
    crowded = [
        (key, expression)
        for key, expression in (("poll_cron", arxiv.poll_cron), ("retry_cron", arxiv.retry_cron))
        if runs_a_day(expression) > MAX_POLLS_A_DAY
    ]
    polled = _polled_on_arxiv(settings) if crowded else None
    if polled is None:
        return configured
    (key, expression), (found, named) = crowded[0], polled
    line = (
        f"arxiv.{key} {expression!r} polls {runs_a_day(expression)} times a day: arXiv announces once a day, so "
        f"arxiv.org is polled at most {MAX_POLLS_A_DAY} times a day ({named} {found} is on it); polling at "
        f"{ANNOUNCEMENT_POLL!r} and {ANNOUNCEMENT_RETRY!r} ({ANNOUNCEMENT_ZONE}) instead: set [arxiv] poll_cron and "
        f"retry_cron to at most {MAX_POLLS_A_DAY} a day to choose the times"
    )
    return PollSchedule(ANNOUNCEMENT_POLL, ANNOUNCEMENT_RETRY, ANNOUNCEMENT_ZONE, line)
