"""A poll of answers with outsize or repeated items: fields bounded, papers counted once, results left said."""

from __future__ import annotations

import logging
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from digest.arxiv.api import query_url
from digest.arxiv.parse import parse_feed
from digest.arxiv.poll_pass import run_poll
from digest.config import Settings
from digest.storage.db import Database
from digest.storage.models import Candidate
from tests.arxiv_server import ARXIV_DATA, ArxivServer, FakeClock, Reply
from tests.conftest import make_settings
from tests.feedbuild import build_rss, load_records

MONDAY = date(2026, 4, 27)
RELEVANT = ["2506.04706", "2504.11695", "2505.14071"]
UNRELATED = ["2601.06959", "2601.07648"]


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path / "data", '[arxiv]\ncontact = "maintainers@example.org"\n')


def records(*ids: str) -> list[dict[str, Any]]:
    by_id = {record["arxiv_id"]: record for record in load_records()}
    return [dict(by_id[i]) for i in ids]


def stored(database: Database) -> dict[str, Candidate]:
    with database.reading() as session:
        found = {c.arxiv_id: c for c in session.scalars(select(Candidate))}
        session.expunge_all()
        return found


@pytest.mark.asyncio
async def test_an_outsize_title_and_abstract_are_cut_with_an_ellipsis_and_the_paper_kept(
    settings: Settings, database: Database, caplog: pytest.LogCaptureFixture
) -> None:
    """A 560 KB title and a multi-megabyte abstract were stored whole: every page, the list entry made on approval
    and the email showed all of it."""
    huge = records(*RELEVANT)
    huge[0]["title"] = huge[0]["title"] + " and" * 140_000  # 560 KB
    huge[0]["abstract"] = (huge[0]["abstract"] + " ") * 3_000  # megabytes
    caplog.set_level(logging.INFO, logger="digest")
    async with ArxivServer() as server:
        url = server.program("/rss/cs.CV", Reply(body=build_rss("cs.CV", huge, MONDAY)))
        summary = await run_poll(settings, database, sources=[url], clock=FakeClock())
    report = summary.sources[0]
    assert report.outcome == "fetched" and report.entries == 3
    paper = stored(database)[RELEVANT[0]]
    assert len(paper.title) <= 300 and paper.title.endswith("…")
    assert paper.title.startswith(records(RELEVANT[0])[0]["title"])
    assert len(paper.abstract or "") <= 20_000 and (paper.abstract or "").endswith("…")
    lines = [r.getMessage() for r in caplog.records if RELEVANT[0] in r.getMessage() and "cut" in r.getMessage()]
    assert len(lines) == 1 and len(lines[0]) < 400, lines
    assert "title" in lines[0] and "abstract" in lines[0]
    assert stored(database)[RELEVANT[1]].title == records(RELEVANT[1])[0]["title"]  # the others untouched


@pytest.mark.asyncio
async def test_the_same_paper_twice_in_one_feed_counts_as_one_entry(settings: Settings, database: Database) -> None:
    """A feed listing a paper twice was reported as one entry more (and one match more) than the papers it held."""
    twice = records(RELEVANT[0], RELEVANT[0], *UNRELATED)
    async with ArxivServer() as server:
        url = server.program("/rss/cs.CV", Reply(body=build_rss("cs.CV", twice, MONDAY)))
        summary = await run_poll(settings, database, sources=[url], clock=FakeClock())
    report = summary.sources[0]
    assert (report.entries, report.new_candidates, report.already_known) == (3, 1, 0)
    assert report.matched == 1
    assert "3 entries" in report.line()
    assert list(stored(database)) == [RELEVANT[0]]


@pytest.mark.asyncio
async def test_an_api_query_with_more_results_than_its_page_says_how_many_were_left(
    settings: Settings, database: Database, caplog: pytest.LogCaptureFixture
) -> None:
    """An [[api]] query read its first page only (max_results) and nothing said that arXiv held more: a query that
    matched 412,374 papers looked as if it had matched the 10 it read."""
    caplog.set_level(logging.INFO, logger="digest")
    answer = (ARXIV_DATA / "api" / "api_new_all-all_2025-11-23_10entries.xml").read_bytes()  # totalResults 412374
    async with ArxivServer() as server:
        server.program("/api/query", Reply(body=answer, content_type="application/atom+xml"))
        url = query_url(server.url("/api/query"), "all:all", 0, 10)
        summary = await run_poll(settings, database, sources=[url], clock=FakeClock())
    report = summary.sources[0]
    assert report.outcome == "fetched" and report.entries == 10
    line = report.line().replace(",", "")
    assert "412364 more results" in line and "max_results" in line, line
    assert any("412364 more results" in r.getMessage().replace(",", "") for r in caplog.records)
    assert len(server.requests_to("/api/query")) == 1  # said, not fetched: a poll asks for the newest


@pytest.mark.asyncio
async def test_an_item_with_an_outsize_id_is_skipped_in_a_short_line(
    settings: Settings, database: Database, caplog: pytest.LogCaptureFixture
) -> None:
    """An item whose guid and link are half a megabyte of no arXiv ID was named whole in its problem line: the log line
    and the poll run's stored report carried all of it."""
    caplog.set_level(logging.INFO, logger="digest")
    junk = "oai:mirror.example:" + "x" * 500_000
    body = build_rss("cs.CV", records(*RELEVANT), MONDAY)
    first = RELEVANT[0]
    body = body.replace(f"oai:arXiv.org:{first}v1".encode(), junk.encode(), 1)
    body = body.replace(f"https://arxiv.org/abs/{first}".encode(), f"https://mirror.example/{'y' * 500_000}".encode())
    body = body.replace(f"arXiv:{first}v1 Announce".encode(), b"arXiv:none Announce")
    async with ArxivServer() as server:
        url = server.program("/rss/cs.CV", Reply(body=body))
        summary = await run_poll(settings, database, sources=[url], clock=FakeClock())
    report = summary.sources[0]
    assert report.entries == 2 and len(report.problems) == 1
    assert "no arXiv ID" in report.problems[0] and len(report.problems[0]) < 600, len(report.problems[0])
    assert max(len(r.getMessage()) for r in caplog.records) < 1_000


@pytest.mark.asyncio
@pytest.mark.parametrize("answer", ["api error", "error feed"])
async def test_an_error_answer_with_outsize_text_is_one_short_line(
    settings: Settings, database: Database, caplog: pytest.LogCaptureFixture, answer: str
) -> None:
    """An API error entry (or an error feed's title) of 300 KB was quoted whole: the poll's warning, the source's
    stored message shown by `digest status` and the health line carried all of it."""
    caplog.set_level(logging.INFO, logger="digest")
    words = "incorrect id format " * 15_000
    if answer == "api error":
        recorded = ARXIV_DATA / "api" / "api_new_arxiv.py_id_abc_s0_m100_b79c8dcf6bc3_http400.xml"
        body = recorded.read_bytes().replace(b"incorrect id format for abc</summary>", f"{words}</summary>".encode())
        reply = Reply(status=400, body=body, content_type="application/atom+xml")
    else:
        body = build_rss("cs.CV", records(*RELEVANT), MONDAY)
        body = body.replace(b"<title>cs.CV updates on arXiv.org</title>", f"<title>Feed error {words}</title>".encode())
        reply = Reply(body=body)
    async with ArxivServer() as server:
        url = server.program("/rss/cs.CV", reply)
        summary = await run_poll(settings, database, sources=[url], clock=FakeClock())
    report = summary.sources[0]
    assert report.failed and "error" in report.message, report.message[:200]
    assert len(report.message) < 600, len(report.message)
    assert max(len(r.getMessage()) for r in caplog.records) < 1_000


@pytest.mark.asyncio
async def test_outsize_authors_and_comments_are_cut_and_the_paper_kept(
    settings: Settings, database: Database, caplog: pytest.LogCaptureFixture
) -> None:
    """An author's name of 200 KB, a byline of 20,000 names and 1 MB of comments were stored whole: the review page,
    Discord and the weekly email showed the whole name."""
    huge = records(*RELEVANT)
    huge[0]["authors"] = ["Ada " + "Lovelace" * 25_000, *(f"Author {n}" for n in range(20_000))]
    caplog.set_level(logging.INFO, logger="digest")
    body = build_rss("cs.CV", huge, MONDAY).replace(
        b"<dc:rights>", b"<arxiv:comment>" + b"12 pages " * 120_000 + b"</arxiv:comment><dc:rights>", 1
    )
    async with ArxivServer() as server:
        url = server.program("/rss/cs.CV", Reply(body=body))
        await run_poll(settings, database, sources=[url], clock=FakeClock())
    paper = stored(database)[RELEVANT[0]]
    assert len(paper.authors[0]) <= 200 and paper.authors[0].endswith("…") and paper.authors[0].startswith("Ada ")
    assert len(paper.authors) <= 10_000 and paper.authors[1] == "Author 0"
    assert paper.comments is not None and len(paper.comments) <= 2_000 and paper.comments.startswith("12 pages")
    lines = [r.getMessage() for r in caplog.records if RELEVANT[0] in r.getMessage() and "cut" in r.getMessage()]
    assert len(lines) == 1 and "author" in lines[0] and "comments" in lines[0], lines


@pytest.mark.parametrize("element", ["managingEditor", "webMaster", "dc:publisher", "itunes:author"])
def test_a_feed_whose_editor_is_one_endless_word_is_read_in_a_moment(element: str) -> None:
    """A feed's managingEditor (webMaster, publisher) of one 100 KB word held its parse for most of a minute: feedparser
    looks for an e-mail address in it in time growing with the square of the word. Read now at once, papers and all
    (a timed test would be noisy here: what feedparser is given holds no such word, and the papers are all read)."""
    from digest.arxiv.parse import _without_endless_words

    body = build_rss("cs.CV", records(*RELEVANT), MONDAY)
    word = b"Ada " + b"L" * 100_000
    body = body.replace(b"<item>", f"<{element}>".encode() + word + f"</{element}><item>".encode(), 1)
    given = _without_endless_words(body)
    assert b"L" * 256 not in given and f"<{element}>Ada {'L' * 200}…</{element}>".encode() in given
    assert given.replace(f"<{element}>Ada {'L' * 200}…</{element}>".encode(), b"") == body.replace(
        f"<{element}>".encode() + word + f"</{element}>".encode(), b""
    )
    assert [paper.arxiv_id for paper in parse_feed(body, "cs.CV").papers] == RELEVANT


@pytest.mark.asyncio
async def test_an_outsize_journal_reference_and_doi_are_cut_and_the_paper_kept(
    settings: Settings, database: Database, caplog: pytest.LogCaptureFixture
) -> None:
    """An item whose journal reference ran to 1 MB and whose DOI to 200 KB had both stored whole (the other fields
    were bounded): they are cut like the comments, with an ellipsis, the paper kept and the cut said in one line."""
    caplog.set_level(logging.INFO, logger="digest")
    extra = b"<arxiv:journal_reference>" + b"Proc. " * 200_000 + b"</arxiv:journal_reference>"
    extra += b"<arxiv:DOI>10.1109/" + b"9" * 200_000 + b"</arxiv:DOI>"
    body = build_rss("cs.CV", records(*RELEVANT), MONDAY).replace(b"<dc:rights>", extra + b"<dc:rights>", 1)
    async with ArxivServer() as server:
        url = server.program("/rss/cs.CV", Reply(body=body))
        await run_poll(settings, database, sources=[url], clock=FakeClock())
    paper = stored(database)[RELEVANT[0]]
    assert paper.journal_ref is not None and len(paper.journal_ref) <= 500 and paper.journal_ref.endswith("…")
    assert paper.journal_ref.startswith("Proc. Proc.")
    assert paper.doi is not None and len(paper.doi) <= 500 and paper.doi.startswith("10.1109/99")
    lines = [r.getMessage() for r in caplog.records if RELEVANT[0] in r.getMessage() and "cut" in r.getMessage()]
    assert len(lines) == 1 and "journal reference" in lines[0] and "DOI" in lines[0], lines


@pytest.mark.parametrize("length", [255, 256, 5_000])
def test_a_word_is_cut_from_256_characters_of_letters_digits_and_dots(length: int) -> None:
    """Guard (the search for an endless word moved to a translated substring search): a name's word of 256 or more
    letters, digits, '_', '.', '+' or '-' is cut to 200 characters and an ellipsis; one of 255 is kept whole."""
    from digest.arxiv.parse import _without_endless_words

    word = (b"a.b_c+d-E9" * 600)[:length]
    body = build_rss("cs.CV", records(*RELEVANT), MONDAY)
    body = body.replace(b"<item>", b"<managingEditor>Ada " + word + b" x</managingEditor><item>", 1)
    given = _without_endless_words(body)
    if length < 256:
        assert given == body
    else:
        assert b"<managingEditor>Ada " + word[:200] + "…".encode() + b" x</managingEditor>" in given
        assert word[:201] not in given
    assert [paper.arxiv_id for paper in parse_feed(given, "cs.CV").papers] == RELEVANT
