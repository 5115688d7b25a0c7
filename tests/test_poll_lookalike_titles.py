"""A poll whose feed writes a list paper's title with Cyrillic letters drawn as Latin ones: that paper, known."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import update

from digest.arxiv.poll_pass import run_poll
from digest.awesome import store as liststore
from digest.awesome.reading import META_KEY
from digest.config import Settings
from digest.service.wiring import open_service_database
from digest.storage.db import Database
from digest.storage.models import ListMeta
from tests.arxiv_server import ArxivServer, FakeClock, Reply
from tests.feedbuild import build_rss
from tests.poller_feeds import MONDAY, RELEVANT, candidates, records
from tests.poller_feeds import settings as settings  # the fixture

# "Interpreting the linear structure of vision-language model embedding spaces" with a Cyrillic е, р, о and а.
LOOKALIKE = "Int\u0435r\u0440reting the lin\u0435ar structure of vision-l\u0430nguage m\u043edel embedding spaces"


@pytest.mark.asyncio
async def test_a_lookalike_of_a_list_papers_title_is_known_not_a_new_candidate(
    settings: Settings, database: Database
) -> None:
    """The list holds the paper by its title alone (an OpenReview link); arXiv's feed names it with lookalike letters.
    The exact title was dropped as known and the lookalike became a second candidate for the same paper, nothing on
    its card telling the maintainer so."""
    listed = records("2504.11695")[0]
    list_by_title(database, listed["title"])
    body = build_rss("cs.CV", [{**listed, "title": LOOKALIKE}, records(RELEVANT[0])[0]], MONDAY)
    async with ArxivServer() as server:
        url = server.program("/rss/cs.CV", Reply(body=body))
        summary = await run_poll(settings, database, sources=[url], clock=FakeClock())
    report = summary.sources[0]
    assert (report.already_known, report.new_candidates) == (1, 1)
    assert sorted(candidates(database)) == [RELEVANT[0]]


@pytest.mark.asyncio
async def test_a_list_entry_written_with_lookalikes_by_the_release_before_is_keyed_anew(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The list's own entry written with lookalike letters, stored under the release before's key: opened by this
    release, the list is read again and the paper keyed as its Latin title, so arXiv's plain title is that paper."""
    listed = records("2504.11695")[0]
    database = open_service_database(settings)
    try:
        with monkeypatch.context() as before:
            before.setattr("digest.titles.LOOKALIKES", {})  # the release before keyed the letters as they are
            list_by_title(database, LOOKALIKE)
        with database.transaction() as session:
            session.execute(update(ListMeta).where(ListMeta.key == META_KEY).values(value="16"))
    finally:
        database.dispose()
    database = open_service_database(settings)
    try:
        async with ArxivServer() as server:
            url = server.program("/rss/cs.CV", Reply(body=build_rss("cs.CV", [listed], MONDAY)))
            summary = await run_poll(settings, database, sources=[url], clock=FakeClock())
        assert (summary.sources[0].already_known, summary.sources[0].new_candidates) == (1, 0)
        assert candidates(database) == {}
    finally:
        database.dispose()


def list_by_title(database: Database, title: str) -> None:
    """The paper in the list by its title alone (an OpenReview link, no arXiv ID)."""
    with database.transaction() as session:
        liststore.add_paper_entry(
            session, section_name="Representation", title=title, arxiv_id=None,
            url="https://openreview.net/forum?id=example", code_url=None, published=None, authors=[],
            abstract=None, now=datetime(2026, 4, 1, tzinfo=UTC),
        )  # fmt: skip
