"""The sources a poll asks: the `[arxiv] sources` setting when given, else feeds/sources.toml's feeds and API queries
as URLs. A file that cannot be read is one `SourcesError` line for the poll to say; the service's health and pages,
which only need to know what a poll should have asked, take none instead (`sources_spoken_for`)."""

from __future__ import annotations

from digest.arxiv.api import query_url
from digest.config import FeedsError, Settings, read_feed_sources


class SourcesError(Exception):
    """feeds/sources.toml is missing or wrong; one line."""


def configured_sources(settings: Settings) -> list[str]:
    """settings.arxiv.sources when given, else feeds/sources.toml: RSS/Atom feed URLs and API queries."""
    if settings.arxiv.sources:
        return list(settings.arxiv.sources)
    try:
        configured = read_feed_sources(settings.feeds_dir)
    except FeedsError as exc:
        raise SourcesError("; ".join(exc.problems)) from None
    api = settings.arxiv.api_url
    return [*configured.feeds, *(query_url(api, query.search_query, 0, query.max_results) for query in configured.api)]


def sources_spoken_for(settings: Settings) -> list[str]:
    """configured_sources, or none when the file cannot be read (the poll says what is wrong with it): the sources a
    stored run must have asked to say how the service's polls go (poll_runs.latest_run)."""
    try:
        return configured_sources(settings)
    except SourcesError:
        return []
