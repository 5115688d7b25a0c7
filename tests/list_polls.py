"""The set-up of the tests of how a list links and lays out its papers: a data folder seeded with the test's own list
whose polls ask the loopback arXiv server, a poll announcing real papers its model keeps, and the list's arXiv IDs."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from digest.arxiv.poll_pass import run_poll
from digest.config import Settings
from digest.storage.db import Database
from digest.storage.models import Candidate, Paper
from tests.arxiv_server import ArxivServer, FakeClock, Reply
from tests.feedbuild import build_rss, load_records
from tests.list_edits import NOW, seeded_lists

RELEVANT = ["2506.04706", "2504.11695", "2505.14071"]  # real papers the poll's model keeps (tests/test_poller.py)


@pytest.fixture
def polled_list(tmp_path: Path) -> Iterator[Any]:
    """A data folder seeded with the test's own list, whose polls ask the loopback arXiv server."""
    with seeded_lists(tmp_path, '[arxiv]\ncontact = "maintainers@example.org"\n') as make:
        yield make


async def poll_relevant(settings: Settings, database: Database) -> tuple[int, list[str]]:
    """Polls a feed announcing the RELEVANT papers: how many the list already knew, and the new candidates' IDs."""
    by_id = {record["arxiv_id"]: record for record in load_records()}
    body = build_rss("cs.CV", [by_id[arxiv_id] for arxiv_id in RELEVANT], NOW.date())
    async with ArxivServer() as server:
        url = server.program("/rss/cs.CV", Reply(body=body))
        summary = await run_poll(settings, database, sources=[url], clock=FakeClock())
    with database.reading() as session:
        stored = sorted(session.scalars(select(Candidate.arxiv_id)))
    return summary.sources[0].already_known, stored


def arxiv_ids(database: Database) -> dict[str, str | None]:
    with database.reading() as session:
        return {paper.title: paper.arxiv_id for paper in session.scalars(select(Paper))}
