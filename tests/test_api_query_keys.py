"""An [[api]] query's address is its key in the database (its conditional-GET state, the poll runs that asked it), as a
feed's is (tests/test_feed_keys.py): a search_query written with white space around it is read without it, and a data
folder that polled it under the untrimmed key keeps its state. Real SQLite files, real Alembic, a loopback arXiv."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest

from digest import resources
from digest.arxiv.api import query_url
from digest.arxiv.poll_runs import reason_to_poll_on_start
from digest.arxiv.poller import configured_sources
from digest.config import FeedsError, Settings, read_feed_sources
from digest.service.wiring import open_service_database
from tests.arxiv_server import ARXIV_DATA, ArxivServer, Reply
from tests.conftest import make_settings
from tests.polled_keys import poll_and_states, poll_run_kept, polled_before

ETAG = '"api-0427"'
ANSWER = ARXIV_DATA / "api" / "api_new_cat-cs.LG-OR-cs.AI_2026-04-30_20entries.xml"


def _feeds(tmp_path: Path, search_query: str) -> Path:
    feeds = tmp_path / "feeds"
    feeds.mkdir(exist_ok=True)
    shutil.copy(resources.feeds_dir() / "rules.toml", feeds / "rules.toml")
    (feeds / "sources.toml").write_text(
        f"[[api]]\nsearch_query = {json.dumps(search_query)}\nmax_results = 20\n", encoding="utf-8"
    )
    return feeds


def _settings(tmp_path: Path, api_url: str, search_query: str) -> Settings:
    feeds = _feeds(tmp_path, search_query)
    return make_settings(
        tmp_path / "data",
        f'feeds_dir = "{feeds}"\n[arxiv]\ncontact = "maintainers@example.org"\napi_url = "{api_url}"\n',
    )


def test_a_search_query_with_white_space_around_it_is_read_without_it(tmp_path: Path) -> None:
    feeds = _feeds(tmp_path, "  cat:cs.LG OR cat:cs.AI \n")
    assert read_feed_sources(feeds).api[0].search_query == "cat:cs.LG OR cat:cs.AI"
    settings = _settings(tmp_path, "https://export.arxiv.org/api/query", "\tcat:cs.LG OR cat:cs.AI\r\n")
    assert configured_sources(settings) == [query_url(settings.arxiv.api_url, "cat:cs.LG OR cat:cs.AI", 0, 20)]


def test_a_blank_search_query_is_refused_as_empty(tmp_path: Path) -> None:
    with pytest.raises(FeedsError, match="must not be empty"):
        read_feed_sources(_feeds(tmp_path, " \n "))


@pytest.mark.asyncio
@pytest.mark.parametrize("also_trimmed", [False, True])
async def test_an_upgrade_keeps_the_state_of_a_query_polled_under_its_untrimmed_search(
    tmp_path: Path, also_trimmed: bool
) -> None:
    """`search_query = " cat:cs.LG OR cat:cs.AI\\n"` was used as written: its state was kept under an address with
    '+cat...%0A' in it. Read trimmed now, the upgrade must not start a second state (asking arXiv for the whole answer
    again, without its ETag); where both were kept the newer wins."""
    written = " cat:cs.LG OR cat:cs.AI\n"
    async with ArxivServer() as server:
        api_url = server.program("/api/query", Reply(body=ANSWER.read_bytes(), etag=ETAG))
        settings = _settings(tmp_path, api_url, written)
        trimmed = query_url(api_url, written.strip(), 0, 20)
        older, newer = datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 11, 20, tzinfo=UTC)
        keys: dict[str, tuple[str | None, datetime]] = {query_url(api_url, written, 0, 20): (ETAG, newer)}
        if also_trimmed:
            keys[trimmed] = ('"stale"', older)
        polled_before(settings, "0021", keys)
        outcomes, stored = await poll_and_states(settings)
    assert server.requests_to("/api/query")[0].headers.get("If-None-Match") == ETAG
    assert outcomes == ["not-modified"]
    assert stored == [(trimmed, ETAG)]


def test_a_poll_of_the_untrimmed_search_still_counts_as_a_poll_of_the_query(tmp_path: Path) -> None:
    """The poll runs kept before the upgrade asked the untrimmed address: a service started after it thought the data
    folder had never polled its query, and polled at once, whatever the hour."""
    api_url = "https://export.arxiv.org/api/query"
    written = " cat:cs.LG OR cat:cs.AI\n"
    settings = _settings(tmp_path, api_url, written)
    when = datetime(2026, 11, 20, tzinfo=UTC)
    untrimmed = query_url(api_url, written, 0, 20)
    polled_before(settings, "0021", {untrimmed: (ETAG, when)})
    poll_run_kept(settings, untrimmed, when)
    database = open_service_database(settings)
    try:
        assert reason_to_poll_on_start(database, when, configured_sources(settings)) is None
    finally:
        database.dispose()
