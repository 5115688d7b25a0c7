"""Watching arXiv over months: list links to IDs arXiv has no paper for, papers it answers without an abstract, IDs
the API refuses, and the list's warning naming them (the loopback arXiv stand-in, tests/arxiv_server.py)."""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from digest.arxiv.api import refresh_examples
from digest.arxiv.unknown_ids import unknown_ids
from digest.awesome import store as liststore
from digest.config import Settings
from digest.storage.db import Database
from tests.arxiv_answers import api_settings
from tests.arxiv_server import ArxivServer, FakeClock, Reply
from tests.poller_feeds import settings as settings  # the fixture


def list_links(database: Database, *arxiv_ids: str) -> None:
    """The maintainer added these arXiv links to the list by hand (no abstract known)."""
    with database.transaction() as session:
        for n, arxiv_id in enumerate(arxiv_ids):
            liststore.add_paper_entry(
                session, section_name="Representation", title=f"A hand-added paper {n}", arxiv_id=arxiv_id,
                url=f"https://arxiv.org/abs/{arxiv_id}", code_url=None, published=None, authors=[], abstract=None,
                now=datetime(2026, 4, 1, tzinfo=UTC),
            )  # fmt: skip


@pytest.mark.asyncio
async def test_a_linked_id_arxiv_has_no_paper_for_is_not_asked_at_every_poll(
    settings: Settings, database: Database, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The list links an ID arXiv has no paper for (a typo that is still a well-formed ID). Every poll asked the API
    for its abstract again, got no entry, stored nothing, and asked again at the next poll, forever. Now the answer
    is remembered: the polls of the next days ask nothing, a poll a week later asks once more (a paper arXiv had not
    announced yet is found then), and `digest list lint` names the link meanwhile."""
    from digest.cli import main

    list_links(database, "2401.99999")
    clock = FakeClock()
    async with ArxivServer() as server:
        server.serve_file("/api/query", "api/api_new_arxiv.py_id_0000.0000_s0_m100_8b51d9633a68_http200.xml")
        polls = [await refresh_examples(api_settings(settings, server), database, clock=clock) for _ in range(3)]
        asked_at_first = len(server.requests)
        clock.elapsed += timedelta(days=8).total_seconds()
        await refresh_examples(api_settings(settings, server), database, clock=clock)
    assert polls == [0, 0, 0]
    assert asked_at_first == 1 and len(server.requests) == 2
    assert [r.query for r in server.requests] == ["id_list=2401.99999&max_results=1"] * 2
    main(["--data-dir", str(settings.data_dir), "list", "lint"])  # the bundled list has findings of its own
    out = capsys.readouterr().out
    assert "warning: arXiv has no paper 2401.99999 (asked 2026-05-05; asked again after 2026-05-12)" in out
    assert "[arxiv-unknown]" in out


@pytest.mark.asyncio
async def test_a_linked_paper_arxiv_answers_without_an_abstract_is_not_asked_at_every_poll(
    settings: Settings, database: Database, caplog: pytest.LogCaptureFixture
) -> None:
    """The list links a paper arXiv answers with an empty abstract (<summary></summary>, as for some withdrawn
    papers). Nothing was stored and nothing remembered, so every poll asked the API for it again, forever. Now the
    answer is remembered as asked: the polls of the next days ask nothing, a poll a week later asks once more and
    keeps the abstract arXiv has by then; the link is not called one arXiv has no paper for."""
    answer = Path(__file__).parent / "data/arxiv/api/api_new_arxiv.py_id_1707.08567_s0_m100_6a1afebfc6a3_http200.xml"
    full = answer.read_bytes()
    empty = re.sub(rb"<summary>[^<]*</summary>", b"<summary></summary>", full)
    list_links(database, "1707.08567")
    clock = FakeClock()
    async with ArxivServer() as server:
        server.program("/api/query", Reply(body=empty), Reply(body=full))
        with caplog.at_level(logging.INFO, logger="digest.arxiv"):
            polls = [await refresh_examples(api_settings(settings, server), database, clock=clock) for _ in range(3)]
        asked_at_first = len(server.requests)
        clock.elapsed += timedelta(days=8).total_seconds()
        later = await refresh_examples(api_settings(settings, server), database, clock=clock)
        after = await refresh_examples(api_settings(settings, server), database, clock=clock)
    assert (polls, asked_at_first) == ([0, 0, 0], 1)
    assert (later, after, len(server.requests)) == (1, 0, 2)
    said = " ".join(record.getMessage() for record in caplog.records)
    assert "1707.08567" in said and "no abstract" in said and "has no paper" not in said, said
    with database.reading() as session:
        assert unknown_ids(session) == {}


@pytest.mark.asyncio
async def test_an_id_the_api_refuses_does_not_hold_back_the_others(settings: Settings, database: Database) -> None:
    """The API answers a batch holding one ID it refuses with its error entry for the whole batch: the abstracts of
    every other list paper in that batch were never fetched, and the same batch was asked at every poll. Now the
    batch is asked an ID at a time, the good abstract is stored, and the refused ID is not asked at the next poll."""
    refused = Path(__file__).parent / "data/arxiv/api/api_new_arxiv.py_id_abc_s0_m100_b79c8dcf6bc3_http400.xml"
    good = Path(__file__).parent / "data/arxiv/api/api_new_arxiv.py_id_1707.08567_s0_m100_6a1afebfc6a3_http200.xml"
    list_links(database, "1707.08567", "2401.99999")
    async with ArxivServer() as server:
        server.program(
            "/api/query",
            Reply(status=400, body=refused.read_bytes()),
            Reply(body=good.read_bytes()),
            Reply(status=400, body=refused.read_bytes()),
        )
        stored = await refresh_examples(api_settings(settings, server), database, clock=FakeClock())
        again = await refresh_examples(api_settings(settings, server), database, clock=FakeClock())
    assert (stored, again) == (1, 0)
    assert len(server.requests) == 3


def test_the_unknown_id_warning_names_the_line_of_that_id_not_of_a_longer_one() -> None:
    """2401.1234 (a typo arXiv has no paper for) is not the link to 2401.12345 two lines earlier."""
    from digest.awesome.unknown_links import unknown_id_findings

    markdown = (
        "# List\n\n* [A](https://arxiv.org/abs/2401.12345)\n* [B](https://arxiv.org/abs/2401.1234)\n"
        "* [C](https://arxiv.org/abs/2402.00001v2)\n"
    )
    asked = datetime(2026, 5, 1, tzinfo=UTC)
    found = unknown_id_findings(markdown, {"2401.1234": asked, "2402.00001": asked, "2403.99999": asked}, 7)
    assert [(f.line, f.code) for f in found] == [(4, "arxiv-unknown"), (5, "arxiv-unknown")]
    assert "asked again after 2026-05-08" in found[0].message
