"""The date a polled paper is kept with (the list's date column when it is approved), whichever feed named it first."""

from __future__ import annotations

import pytest

from digest.arxiv.poll_pass import run_poll
from digest.config import Settings
from digest.storage.db import Database
from tests.arxiv_server import ArxivServer, FakeClock, Reply
from tests.poller_feeds import MONDAY, RELEVANT, candidates, feed


@pytest.mark.asyncio
async def test_a_new_paper_seen_first_as_a_cross_list_keeps_its_announcement_day(
    settings: Settings, database: Database
) -> None:
    """A paper announced new in cs.LG on Monday and cross-listed in cs.CV the same day: when cs.CV was polled first,
    the cross-list (which tells only the ID's month) dated it the 1st of the month, and its own feed's date was never
    taken, so the list said 2025-06-01 for a paper of Monday. The new announcement's day is now kept."""
    paper = RELEVANT[0]
    async with ArxivServer() as server:
        cv = server.program("/rss/cs.CV", Reply(body=feed(paper, announce_type="cross")))
        lg = server.program("/rss/cs.LG", Reply(body=feed(paper, category="cs.LG")))
        await run_poll(settings, database, sources=[cv, lg], clock=FakeClock())
    published = candidates(database)[paper].published
    assert published is not None and published.date() == MONDAY, published
