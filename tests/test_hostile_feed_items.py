"""An answer of more items than arXiv ever gives in one (its API stops at 30,000 results) is refused whole, before
any item is read: 53,000 small items in 20 MB held a poll for four minutes and a gigabyte of memory, and every one of
them became a candidate."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from digest.arxiv.poll_pass import run_poll
from digest.arxiv.windows import API_RESULT_LIMIT
from digest.service.wiring import open_service_database
from digest.storage.models import Candidate
from tests.arxiv_server import ArxivServer, FakeClock, Reply
from tests.conftest import make_settings


def answer_of(items: int) -> bytes:
    """An API answer (Atom) of `items` interpretability papers, each as short as arXiv would give one."""
    entry = (
        "<entry><id>http://arxiv.org/abs/2504.{n:05d}v1</id><updated>2026-04-26T10:00:00Z</updated>"
        "<published>2026-04-26T10:00:00Z</published><title>Sparse autoencoders for vision transformers {n}</title>"
        "<summary>Mechanistic interpretability of vision language models.</summary>"
        '<author><name>A B</name></author><category term="cs.CV"/></entry>'
    )
    entries = "".join(entry.format(n=n) for n in range(items))
    return (
        '<?xml version="1.0" encoding="UTF-8"?><feed xmlns="http://www.w3.org/2005/Atom" '
        'xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/"><title>ArXiv Query</title>'
        f"<id>http://arxiv.org/api/many</id><updated>2026-04-27T00:00:00-04:00</updated>"
        f"<opensearch:totalResults>{items}</opensearch:totalResults>{entries}</feed>"
    ).encode()


@pytest.mark.asyncio
async def test_an_answer_of_more_items_than_arxiv_gives_is_refused_whole(tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "data")
    database = open_service_database(settings)
    try:
        async with ArxivServer() as server:
            url = server.program(
                "/api/query", Reply(body=answer_of(API_RESULT_LIMIT + 1), content_type="application/atom+xml")
            )
            summary = await run_poll(settings, database, sources=[url], clock=FakeClock())
        with database.reading() as session:
            stored = session.scalar(select(func.count()).select_from(Candidate))
    finally:
        database.dispose()
    (source,) = summary.to_dict()["sources"]
    assert source["outcome"] == "broken" and source["new_candidates"] == 0 and stored == 0, source
    assert "the answer holds 30,001 items, more than arXiv gives in one (30,000); refused" in source["message"]
