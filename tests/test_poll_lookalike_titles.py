"""A poll whose feed writes a list paper's title with Cyrillic letters drawn as Latin ones: that paper, known."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from digest.arxiv.poll_pass import run_poll
from digest.awesome import store as liststore
from digest.config import Settings
from digest.storage.db import Database
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
    with database.transaction() as session:
        liststore.add_paper_entry(
            session, section_name="Representation", title=listed["title"], arxiv_id=None,
            url="https://openreview.net/forum?id=example", code_url=None, published=None, authors=[],
            abstract=None, now=datetime(2026, 4, 1, tzinfo=UTC),
        )  # fmt: skip
    other = records(RELEVANT[0])[0]
    body = build_rss("cs.CV", [{**listed, "title": LOOKALIKE}, other], MONDAY)
    async with ArxivServer() as server:
        url = server.program("/rss/cs.CV", Reply(body=body))
        summary = await run_poll(settings, database, sources=[url], clock=FakeClock())
    report = summary.sources[0]
    assert (report.already_known, report.new_candidates) == (1, 1)
    assert sorted(candidates(database)) == [RELEVANT[0]]
