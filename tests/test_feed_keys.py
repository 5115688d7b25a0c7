"""A feed's address is its key in the database (its conditional-GET state, the poll runs that asked it): one written
with white space around it in feeds/sources.toml or [arxiv] sources is read without it, and a data folder that polled
it under the untrimmed key keeps its state. Real SQLite files, real Alembic, a loopback arXiv."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from digest.arxiv.poll_runs import reason_to_poll_on_start
from digest.config import read_feed_sources
from digest.service.wiring import open_service_database
from tests.arxiv_server import ArxivServer, Reply
from tests.conftest import make_settings
from tests.polled_keys import poll_and_states, poll_run_kept, polled_before
from tests.poller_feeds import RELEVANT, feed

ETAG = '"cv-0427"'


def test_addresses_with_white_space_around_them_are_read_without_it(tmp_path: Path) -> None:
    feeds = tmp_path / "feeds"
    feeds.mkdir()
    (feeds / "sources.toml").write_text(
        'feeds = [" https://rss.arxiv.org/rss/cs.CV ", "\\thttps://rss.arxiv.org/rss/cs.CL\\r\\n", """\n'
        'https://rss.arxiv.org/rss/cs.LG\n"""]\n',
        encoding="utf-8",
    )
    assert read_feed_sources(feeds).feeds == tuple(f"https://rss.arxiv.org/rss/cs.{c}" for c in ("CV", "CL", "LG"))
    settings = make_settings(tmp_path / "data", '[arxiv]\nsources = ["  https://rss.arxiv.org/rss/cs.CV\\n"]\n')
    assert settings.arxiv.sources == ("https://rss.arxiv.org/rss/cs.CV",)


@pytest.mark.asyncio
@pytest.mark.parametrize("also_trimmed", [False, True])
async def test_an_upgrade_keeps_the_state_of_a_feed_polled_under_its_untrimmed_address(
    tmp_path: Path, also_trimmed: bool
) -> None:
    """`sources = [" URL\\n"]` was used as it was written: the feed's state was kept under " URL\\n". Read trimmed
    now, the upgrade must not start a second state for URL (asking arXiv for the whole feed again, without its ETag),
    and where both were kept (an edit of the file since) the newer wins."""
    async with ArxivServer() as server:
        url = server.program("/rss/cs.CV", Reply(body=feed(*RELEVANT), etag=ETAG))
        settings = make_settings(
            tmp_path / "data", f'[arxiv]\ncontact = "maintainers@example.org"\nsources = [" {url}\\n"]\n'
        )
        older, newer = datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 11, 20, tzinfo=UTC)
        keys: dict[str, tuple[str | None, datetime]] = {f" {url}\n": (ETAG, newer)}
        if also_trimmed:
            keys[url] = ('"stale"', older)
        polled_before(settings, "0017", keys)
        outcomes, stored = await poll_and_states(settings)
    assert server.requests_to("/rss/cs.CV")[0].headers.get("If-None-Match") == ETAG
    assert outcomes[0] == "not-modified"
    assert stored == [(url, ETAG)]


def test_a_poll_of_the_untrimmed_address_still_counts_as_a_poll_of_the_feed(tmp_path: Path) -> None:
    """The poll runs kept before the upgrade asked " URL\\n": a service started after it thought the data folder had
    never polled its feed, and polled at once, whatever the hour."""
    url = "https://rss.arxiv.org/rss/cs.CV"
    settings = make_settings(tmp_path / "data", f'[arxiv]\nsources = [" {url}\\n"]\n')
    when = datetime(2026, 11, 20, tzinfo=UTC)
    polled_before(settings, "0017", {f" {url}\n": (ETAG, when)})
    poll_run_kept(settings, f" {url}\n", when)
    database = open_service_database(settings)
    try:
        assert reason_to_poll_on_start(database, when, list(settings.arxiv.sources)) is None
    finally:
        database.dispose()
