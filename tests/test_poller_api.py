"""What the poll asks arXiv's API for against a local stand-in: the backfill's pages, and the abstracts of the list's
papers the relevance model learns from (a link to another paper's ID, an ID arXiv refuses)."""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from digest.arxiv.api import refresh_examples
from digest.arxiv.backfill import backfill
from digest.awesome import store as liststore
from digest.config import Settings
from digest.relevance.gathering import list_examples
from digest.storage.db import Database
from digest.storage.state import BackfillState, RelevanceExample
from tests.arxiv_server import ArxivServer, FakeClock, Reply
from tests.conftest import make_settings
from tests.poller_feeds import settings as settings  # the fixture


@pytest.mark.asyncio
async def test_backfill_pages_politely_and_resumes(settings: Settings, database: Database) -> None:
    api = "api/api_new_arxiv.py_q_testing_"
    async with ArxivServer() as server:
        server.serve_file("/api/query", api + "s0_m10_bc5a6c384fe9_http200.xml")
        pages = [
            Reply(body=(Path(__file__).parent / "data/arxiv" / f"{api}{name}_http200.xml").read_bytes())
            for name in ("s0_m10_bc5a6c384fe9", "s10_m10_34e56e15aaac", "s20_m10_348a237fecab")
        ]
        server.program("/api/query", *pages)
        api_settings = make_settings(settings.data_dir, f'[arxiv]\napi_url = "{server.url("/api/query")}"\n')
        clock = FakeClock()
        first = await backfill(api_settings, database, date(2026, 4, 1), page_size=10, clock=clock, max_pages=2)
        second = await backfill(api_settings, database, date(2026, 4, 1), page_size=10, clock=clock, max_pages=1)
    assert (first.pages, first.entries, first.next_start, first.total, first.done) == (2, 20, 20, 214881, False)
    assert second.next_start == 30 and second.entries == 10
    starts = [r.query for r in server.requests_to("/api/query")]
    assert "start=0&" in starts[0] and "start=10&" in starts[1] and "start=20&" in starts[2]
    assert "submittedDate:[202604010000 TO" in starts[0]
    assert clock.sleeps.count(3.0) == 2  # the second run's request waits too: the limiter is process-wide
    with database.reading() as session:
        saved = session.scalars(select(BackfillState)).one()
        session.expunge_all()
    assert (saved.next_start, saved.done) == (30, False)


@pytest.mark.asyncio
async def test_refresh_examples_fetches_abstracts_of_new_list_papers(settings: Settings, database: Database) -> None:
    with database.transaction() as session:
        liststore.add_paper_entry(
            session, section_name="Representation", title="Exploring the Limits of Weakly Supervised Pretraining",
            arxiv_id="1707.08567", url="https://arxiv.org/abs/1707.08567", code_url=None, published=None,
            authors=[], abstract=None, now=datetime(2026, 4, 1, tzinfo=UTC),
        )  # fmt: skip
    async with ArxivServer() as server:
        server.serve_file("/api/query", "api/api_new_arxiv.py_id_1707.08567_s0_m100_6a1afebfc6a3_http200.xml")
        api_settings = make_settings(settings.data_dir, f'[arxiv]\napi_url = "{server.url("/api/query")}"\n')
        stored = await refresh_examples(api_settings, database, clock=FakeClock())
        again = await refresh_examples(api_settings, database, clock=FakeClock())
    assert (stored, again) == (1, 0)
    assert [r.query for r in server.requests] == ["id_list=1707.08567&max_results=1"]
    with database.reading() as session:
        example = session.scalars(select(RelevanceExample)).one()
        session.expunge_all()
    assert example.arxiv_id == "1707.08567" and example.abstract


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("title", "learnt"),
    [
        ("Probing Vision Transformers for the Parts of Objects", False),  # the ID is another paper's
        # The title of the paper arXiv answers for 1707.08567 (the fixture is its real answer), written loosely.
        ("Proceedings of workshop AEW10 - concepts in information theory", True),
    ],
)
async def test_a_list_link_to_another_papers_id_does_not_teach_the_model_that_papers_abstract(
    settings: Settings, database: Database, title: str, learnt: bool
) -> None:
    """A hand-kept list sometimes links the wrong arXiv ID: the abstract arXiv gives for it is another paper's, and
    the model must not learn the entry's topic from it. An entry whose title arXiv confirms is learnt from."""
    with database.transaction() as session:
        liststore.add_paper_entry(
            session, section_name="Representation", title=title, arxiv_id="1707.08567",
            url="https://arxiv.org/abs/1707.08567", code_url=None, published=None,
            authors=[], abstract=None, now=datetime(2026, 4, 1, tzinfo=UTC),
        )  # fmt: skip
    async with ArxivServer() as server:
        server.serve_file("/api/query", "api/api_new_arxiv.py_id_1707.08567_s0_m100_6a1afebfc6a3_http200.xml")
        api_settings = make_settings(settings.data_dir, f'[arxiv]\napi_url = "{server.url("/api/query")}"\n')
        assert await refresh_examples(api_settings, database, clock=FakeClock()) == 1
    with database.reading() as session:
        examples = {example.title: example.abstract for example in list_examples(session)}
    assert (title in examples) == learnt
    if learnt:
        assert examples[title].startswith('The 10th Asia-Europe workshop in "Concepts in Information Theory')


@pytest.mark.asyncio
async def test_a_list_link_arxiv_refuses_as_an_id_does_not_keep_the_other_abstracts_out(
    settings: Settings, database: Database, caplog: pytest.LogCaptureFixture
) -> None:
    """A maintainer's hand-added entry links arxiv.org/abs/1234.5678 (a typo: there is no 34th month), and another
    the subject-class form math.GT/0309136, which the API also refuses ("incorrect id format"). The abstracts of the
    list's papers are asked for fifty at a time: the API's error for the whole batch dropped every other paper's
    abstract too, at every poll, for good. Now an ID arXiv cannot have issued is not sent (one warning names it), the
    subject-class form is asked as arXiv writes it, and the other papers get their abstracts."""
    added = [("1707.08567", "Exploring the Limits of Weakly Supervised Pretraining"), ("1234.5678", "A typo'd link")]
    added.append(("math.GT/0309136", "An old-style ID with its subject class"))
    with database.transaction() as session:
        for arxiv_id, title in added:
            liststore.add_paper_entry(
                session, section_name="Representation", title=title, arxiv_id=arxiv_id,
                url=f"https://arxiv.org/abs/{arxiv_id}", code_url=None, published=None, authors=[], abstract=None,
                now=datetime(2026, 4, 1, tzinfo=UTC),
            )  # fmt: skip
    error = "api/api_new_arxiv.py_id_abc_s0_m100_b79c8dcf6bc3_http400.xml"
    async with ArxivServer() as server:
        server.serve_file("/api/query", error, status=400)  # any ID arXiv cannot read spoils the whole batch
        server.serve_file(
            "/api/query?id_list=1707.08567,math/0309136&max_results=2",
            "api/api_new_arxiv.py_id_1707.08567_s0_m100_6a1afebfc6a3_http200.xml",
        )
        api_settings = make_settings(settings.data_dir, f'[arxiv]\napi_url = "{server.url("/api/query")}"\n')
        with caplog.at_level(logging.WARNING, logger="digest.arxiv"):
            stored = await refresh_examples(api_settings, database, clock=FakeClock())
    assert stored == 1
    assert [r.query for r in server.requests] == ["id_list=1707.08567,math/0309136&max_results=2"]
    with database.reading() as session:
        assert list(session.scalars(select(RelevanceExample.arxiv_id))) == ["1707.08567"]
    warnings = [record.getMessage() for record in caplog.records if "1234.5678" in record.getMessage()]
    assert len(warnings) == 1 and "math.GT" not in warnings[0], warnings
