"""A poll pass against a local arXiv stand-in: candidates stored, 304s, quiet days, broken answers, dedupe, backfill."""

from __future__ import annotations

import asyncio
import json
import logging
import re
import shutil
import threading
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, select

from digest import resources
from digest.arxiv.api import refresh_examples
from digest.arxiv.backfill import backfill
from digest.arxiv.poll_pass import run_poll
from digest.awesome import store as liststore
from digest.config import Settings
from digest.relevance.gathering import list_examples
from digest.service.wiring import open_service_database
from digest.storage.db import Database, open_database
from digest.storage.models import REJECTED, Candidate
from digest.storage.state import BackfillState, FeedState, PollRun, RelevanceExample
from tests.arxiv_server import ArxivServer, FakeClock, Reply
from tests.conftest import make_settings
from tests.feedbuild import build_rss
from tests.poller_feeds import MONDAY, RELEVANT, RSS, UNRELATED, candidates, feed, records
from tests.postgres_server import each_database, postgres_server, postgres_url  # noqa: F401  (fixtures)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path / "data", '[arxiv]\ncontact = "maintainers@example.org"\n')


def state(database: Database, source: str) -> FeedState:
    with database.reading() as session:
        found = session.get(FeedState, source)
        assert found is not None
        session.expunge_all()
        return found


@pytest.mark.asyncio
async def test_poll_keeps_relevant_papers_and_304_changes_nothing(settings: Settings, database: Database) -> None:
    async with ArxivServer() as server:
        url = server.program("/rss/cs.CV", Reply(body=feed(*RELEVANT, *UNRELATED), etag='"cv-0427"'))
        summary = await run_poll(settings, database, sources=[url], clock=FakeClock())
        again = await run_poll(settings, database, sources=[url], clock=FakeClock())
    report = summary.sources[0]
    assert (report.outcome, report.entries, report.new_candidates, report.already_known) == ("fetched", 7, 3, 0)
    assert report.matched >= 3
    stored = candidates(database)
    assert sorted(stored) == sorted(RELEVANT)
    line = stored["2506.04706"]
    assert line.title == "Line of Sight: On Linear Representations in VLLMs"
    assert line.status == "pending" and line.version == 1 and line.source_feeds == [url]
    assert line.score > 0 and line.matched and line.announce_type == "new" and line.categories == ["cs.CV"]
    assert line.abstract == records("2506.04706")[0]["abstract"]
    assert again.sources[0].outcome == "not-modified"
    assert server.requests_to("/rss/cs.CV")[1].headers["If-None-Match"] == '"cv-0427"'
    assert len(candidates(database)) == 3
    with database.reading() as session:
        runs = session.scalars(select(PollRun).order_by(PollRun.id)).all()
        session.expunge_all()
    assert [run.outcome for run in runs] == ["ok", "ok"]
    assert runs[0].summary["sources"][0]["new_candidates"] == 3 and runs[0].finished_at is not None
    assert state(database, url).etag == '"cv-0427"'


@pytest.mark.asyncio
async def test_same_paper_in_several_feeds_counts_once(settings: Settings, database: Database) -> None:
    async with ArxivServer() as server:
        cv = server.program("/rss/cs.CV", Reply(body=feed(*RELEVANT)))
        cl = server.program("/rss/cs.CL", Reply(body=feed(RELEVANT[0], *UNRELATED, category="cs.CL")))
        clock = FakeClock()
        summary = await run_poll(settings, database, sources=[cv, cl], clock=clock)
    assert [r.new_candidates for r in summary.sources] == [3, 0]
    assert summary.sources[1].already_known == 1 and summary.new_candidates == 3
    assert candidates(database)[RELEVANT[0]].source_feeds == [cv, cl]
    assert 3.0 in clock.sleeps  # the second feed waited its turn


@pytest.mark.asyncio
async def test_a_feed_listed_twice_in_the_sources_is_asked_once_a_pass(tmp_path: Path, database: Database) -> None:
    """A feed pasted twice into [arxiv] sources (or feeds/sources.toml) was asked twice in every poll, the service's
    and its retries: a request to arXiv more each time, and a second line in the poll's report for the same feed."""
    async with ArxivServer() as server:
        cv = server.program("/rss/cs.CV", Reply(body=feed(*RELEVANT)))
        cl = server.program("/rss/cs.CL", Reply(body=feed(*UNRELATED, category="cs.CL")))
        written = '[arxiv]\ncontact = "maintainers@example.org"\n' + f'sources = ["{cv}", "{cl}", "{cv}"]\n'
        settings = make_settings(tmp_path / "data", written)
        summary = await run_poll(settings, database, clock=FakeClock())
    assert len(server.requests_to("/rss/cs.CV")) == 1
    assert [report.source for report in summary.sources] == [cv, cl]
    assert summary.new_candidates == 3 and summary.outcome == "ok"


@pytest.mark.asyncio
async def test_dedupe_against_the_list_by_id_and_by_title(settings: Settings, database: Database) -> None:
    listed = json.loads((Path(__file__).parent.parent / "digest/data/curated_papers.jsonl").read_text().splitlines()[0])
    title_only = records("2504.11695")[0]
    with database.transaction() as session:
        liststore.add_paper_entry(
            session, section_name="Representation", title=title_only["title"], arxiv_id=None,
            url="https://openreview.net/forum?id=example", code_url=None, published=None, authors=[],
            abstract=None, now=datetime(2026, 4, 1, tzinfo=UTC),
        )  # fmt: skip
    listed_record = {k: listed[k] for k in ("arxiv_id", "title", "abstract")}
    body = build_rss("cs.CV", [listed_record, {**title_only, "title": title_only["title"].upper()}], MONDAY)
    async with ArxivServer() as server:
        url = server.program("/rss/cs.CV", Reply(body=body))
        summary = await run_poll(settings, database, sources=[url], clock=FakeClock())
    report = summary.sources[0]
    assert (report.already_known, report.new_candidates) == (2, 0)
    assert candidates(database) == {}


@pytest.mark.asyncio
async def test_replacement_updates_version_and_rejected_never_returns(settings: Settings, database: Database) -> None:
    async with ArxivServer() as server:
        url = server.program(
            "/rss/cs.CV",
            Reply(body=feed(*RELEVANT[:2])),
            Reply(body=feed(*RELEVANT[:2], announce_type="replace", version=2, day=date(2026, 4, 28))),
            Reply(body=feed(*RELEVANT[:2], announce_type="replace-cross", version=3, day=date(2026, 4, 29))),
        )
        await run_poll(settings, database, sources=[url], clock=FakeClock())
        with database.transaction() as session:
            rejected = session.scalars(select(Candidate).where(Candidate.arxiv_id == RELEVANT[1])).one()
            rejected.status = REJECTED
        second = await run_poll(settings, database, sources=[url], clock=FakeClock())
        third = await run_poll(settings, database, sources=[url], clock=FakeClock())
    for report in (second.sources[0], third.sources[0]):
        assert (report.outcome, report.new_candidates, report.already_known, report.updated) == ("fetched", 0, 2, 2)
    stored = candidates(database)
    assert len(stored) == 2
    assert stored[RELEVANT[0]].version == 3 and stored[RELEVANT[0]].status == "pending"
    assert stored[RELEVANT[1]].version == 3 and stored[RELEVANT[1]].status == REJECTED


@pytest.mark.asyncio
async def test_quiet_days_and_broken_answers(settings: Settings, database: Database) -> None:
    error_feed = (
        b'<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0"><channel>'
        b"<title>Feed error for query: cs.XX</title><link>http://rss.arxiv.org/rss/cs.XX</link>"
        b"<description>Feed error for query: cs.XX</description></channel></rss>"
    )
    html = b"<!DOCTYPE html><html><head><title>503 Service Temporarily Unavailable</title></head></html>"
    async with ArxivServer() as server:
        weekend = server.serve_file("/rss/cs.CL", RSS + "rss_cs.CL_2026-08-01_empty-weekend.xml", etag='"w"')
        atom_weekend = server.serve_file("/atom/cs", RSS + "atom_cs_2025-11-23_empty-weekend.xml")
        error = server.program("/rss/cs.XX", Reply(body=error_feed, etag='"err"'))
        page = server.program("/rss/cs.AI", Reply(body=html, content_type="text/html"))
        empty_weekday = server.program("/rss/cs.LG", Reply(body=feed(day=date(2026, 4, 28)), etag='"e"'))
        summary = await run_poll(
            settings, database, sources=[weekend, atom_weekend, error, page, empty_weekday], clock=FakeClock()
        )
    outcomes = [(r.outcome, r.message) for r in summary.sources]
    assert outcomes[0] == ("quiet", "no announcements on Saturday 2026-08-01")
    assert outcomes[1] == ("quiet", "no announcements on Sunday 2025-11-23")
    assert outcomes[2] == ("broken", "error feed: Feed error for query: cs.XX")
    assert outcomes[3] == ("broken", "an HTML page, not a feed")
    assert outcomes[4] == ("broken", "an empty feed on a weekday (Tuesday 2026-04-28)")
    assert summary.outcome == "partial"
    assert state(database, weekend).etag == '"w"' and state(database, weekend).last_outcome == "quiet"
    broken = state(database, error)
    assert (broken.last_outcome, broken.failures, broken.etag) == ("broken", 1, None)
    assert state(database, empty_weekday).etag is None


@pytest.mark.asyncio
async def test_a_feed_older_than_the_last_one_seen_is_broken(settings: Settings, database: Database) -> None:
    async with ArxivServer() as server:
        url = server.program(
            "/rss/cs.CV",
            Reply(body=feed(RELEVANT[0], day=date(2026, 4, 28))),
            Reply(body=feed(*RELEVANT, day=MONDAY)),  # a stale mirror serving Monday's feed on Wednesday
        )
        await run_poll(settings, database, sources=[url], clock=FakeClock())
        stale = await run_poll(settings, database, sources=[url], clock=FakeClock())
    assert stale.sources[0].outcome == "broken" and "older than the last one seen" in stale.sources[0].message
    assert sorted(candidates(database)) == [RELEVANT[0]]  # the stale feed's papers were not taken


@pytest.mark.asyncio
async def test_bad_items_are_logged_and_the_rest_stored(
    settings: Settings, database: Database, caplog: pytest.LogCaptureFixture
) -> None:
    hostile = "<script>alert(1)</script> **Steering** [x](https://evil.example) @everyone ]]>"
    body = feed(*RELEVANT)
    body = body.replace(b'<guid isPermaLink="false">oai:arXiv.org:2504.11695v1</guid>', b"")
    body = body.replace(b"<link>https://arxiv.org/abs/2504.11695</link>", b"")
    body = body.replace(b"arXiv:2504.11695v1 Announce Type: new \nAbstract: ", b"")
    title = records("2505.14071")[0]["title"].encode()
    escaped = hostile.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").encode()
    body = body.replace(title, escaped + b" " + title).replace(b"VLLMs</title>", b"VLLMs \xff</title>")
    caplog.set_level(logging.INFO, logger="digest")
    async with ArxivServer() as server:
        url = server.program("/rss/cs.CV", Reply(body=body))
        summary = await run_poll(settings, database, sources=[url], clock=FakeClock())
    report = summary.sources[0]
    assert (report.outcome, report.entries, report.new_candidates) == ("fetched", 2, 2)
    stored = candidates(database)
    assert sorted(stored) == ["2505.14071", "2506.04706"]
    assert stored["2505.14071"].title.startswith(hostile)  # kept as text; every renderer escapes it
    messages = [r.getMessage() for r in caplog.records]
    assert any(url in m and "item 2" in m and "no arXiv ID" in m for m in messages)
    assert any(url in m and "2505.14071" in m and "markup or a mention" in m for m in messages)
    assert any(url in m and "not valid" in m for m in messages)


@pytest.mark.asyncio
@pytest.mark.parametrize("malformed", ["2513.04706", "2506.0470", "0000.0000", "hep-xx/9901001", "hep-th/0712001"])
async def test_an_item_whose_id_arxiv_cannot_have_issued_is_skipped_in_one_line(
    settings: Settings, database: Database, caplog: pytest.LogCaptureFixture, malformed: str
) -> None:
    """An item whose ID has the shape of one but that arXiv cannot have issued (a month 13, a 2025 ID with four digits,
    an archive that never was, an old-style ID after March 2007) became a candidate: a card for review whose link
    leads nowhere, and approved, a dead link in the list. `digest add` refuses such an ID; the poll now skips the item,
    naming it in one line, and keeps the others."""
    body = feed(*RELEVANT).replace(RELEVANT[1].encode(), malformed.encode())
    caplog.set_level(logging.INFO, logger="digest")
    async with ArxivServer() as server:
        url = server.program("/rss/cs.CV", Reply(body=body))
        summary = await run_poll(settings, database, sources=[url], clock=FakeClock())
    report = summary.sources[0]
    assert (report.outcome, report.entries, report.new_candidates) == ("fetched", 2, 2)
    assert sorted(candidates(database)) == sorted([RELEVANT[0], RELEVANT[2]])
    assert any(url in m and "item 2" in m and f"{malformed!r} is no arXiv ID" in m for m in caplog.messages)


@pytest.mark.asyncio
@pytest.mark.parametrize("guid", ["tag:mirror.example,2026:item-17", "oai:arXiv.org:2504.1169v1", "oai:arXiv.org:"])
async def test_an_item_whose_id_names_no_paper_is_read_by_its_link_and_announcement(
    settings: Settings, database: Database, guid: str
) -> None:
    """An item whose guid names no arXiv paper (a mirror's own, one cut short, one left empty) was skipped although its
    link and its 'arXiv:ID Announce Type' line name the paper: the paper was lost. The item's other fields are read
    in turn, and the first that names an ID arXiv can have issued gives it."""
    body = feed(*RELEVANT).replace(
        b'<guid isPermaLink="false">oai:arXiv.org:2504.11695v1</guid>',
        f'<guid isPermaLink="false">{guid}</guid>'.encode(),
    )
    async with ArxivServer() as server:
        url = server.program("/rss/cs.CV", Reply(body=body))
        summary = await run_poll(settings, database, sources=[url], clock=FakeClock())
    report = summary.sources[0]
    assert (report.outcome, report.entries, report.new_candidates, report.problems) == ("fetched", 3, 3, [])
    stored = candidates(database)
    assert sorted(stored) == sorted(RELEVANT) and stored["2504.11695"].version == 1


@pytest.mark.asyncio
async def test_an_item_whose_link_names_another_paper_than_its_id_is_said_once_at_warning(
    settings: Settings, database: Database, caplog: pytest.LogCaptureFixture
) -> None:
    """An item whose guid and announcement line name one paper and whose link names another (a mirror's mix-up) was
    stored under the ID without a word, though a reader following the feed's link would open the other paper. It is
    still stored under its ID, and the poll logs one warning naming the feed, the ID and the link, the link cut short
    with its invisible characters blanked (nothing of the feed printed raw)."""
    other = "2601.00001"
    link = f"https://arxiv.org/abs/{other}?from=\u202emirror&amp;x={'a' * 300}"
    body = feed(*RELEVANT).replace(
        f"<link>https://arxiv.org/abs/{RELEVANT[1]}</link>".encode(), f"<link>{link}</link>".encode()
    )
    caplog.set_level(logging.INFO, logger="digest")
    async with ArxivServer() as server:
        url = server.program("/rss/cs.CV", Reply(body=body))
        summary = await run_poll(settings, database, sources=[url], clock=FakeClock())
    report = summary.sources[0]
    assert (report.outcome, report.entries, report.new_candidates) == ("fetched", 3, 3)
    assert sorted(candidates(database)) == sorted(RELEVANT)
    said = [r for r in caplog.records if other in r.getMessage()]
    assert len(said) == 1 and said[0].levelno == logging.WARNING, [r.getMessage() for r in said]
    line = said[0].getMessage()
    assert url in line and "item 2" in line, line
    assert f"names {other}, not {RELEVANT[1]}; stored as {RELEVANT[1]}" in line, line
    assert f"'https://arxiv.org/abs/{other}?from= mirror&x=aaa" in line and "\u202e" not in line, line
    assert "a" * 120 not in line and "\n" not in line, line


@pytest.mark.asyncio
async def test_a_feed_in_utf_16_is_read_and_one_cut_short_keeps_its_whole_items(
    settings: Settings, database: Database, caplog: pytest.LogCaptureFixture
) -> None:
    """A feed sent in UTF-16 (a byte order mark, no XML declaration: a proxy's or mirror's re-encoding) was read whole
    by feedparser, but every item was then left out as "cut off (the feed ends inside it)" (the item ends were counted
    in the raw bytes, where UTF-16 writes no `</item>`): no paper stored, at every poll, with a line that was not
    true. One cut short after its first item lost that whole item too."""
    whole = feed(*RELEVANT).decode("utf-8")
    first_end = whole.index("</item>") + len("</item>")
    caplog.set_level(logging.INFO, logger="digest")
    async with ArxivServer() as server:
        utf16 = server.program("/rss/cs.CV", Reply(body=whole.encode("utf-16"), content_type="application/rss+xml"))
        cut = server.program("/rss/cs.LG", Reply(body=whole[:first_end].encode("utf-16")))
        summary = await run_poll(settings, database, sources=[utf16, cut], clock=FakeClock())
    read, cut_short = summary.sources
    assert (read.outcome, read.entries, read.new_candidates, read.failed) == ("fetched", 3, 3, False)
    assert (cut_short.entries, cut_short.cut_off, cut_short.failed) == (1, 1, True)
    assert sorted(candidates(database)) == sorted(RELEVANT)
    assert not any("cut off (the feed ends inside it)" in m for m in caplog.messages)
    assert any(cut in m and "the answer ends after item 1" in m for m in caplog.messages)


@pytest.mark.asyncio
async def test_one_byte_that_is_not_utf_8_spoils_one_title_not_every_name_in_the_feed(
    settings: Settings, database: Database, caplog: pytest.LogCaptureFixture
) -> None:
    """One byte that is not UTF-8 in one title of arXiv's UTF-8 feed made feedparser read the whole answer as
    windows-1252: every accented title, abstract and author of that day's feed was stored as 'CafÃ©' and 'JÃ¼rgen'
    (shown for review so, and written so into the list on approval), under a line saying the bytes were not valid
    windows-1252. The byte now reads as U+FFFD and the rest as the UTF-8 it is."""
    first, second, third = records(*RELEVANT)
    first = {**first, "title": "Café: Line of Sight", "authors": ["Jürgen Müller", "张三"]}
    body = build_rss("cs.CV", [first, second, third], MONDAY)
    body = body.replace(third["title"].encode(), third["title"].encode() + b" \xff")
    caplog.set_level(logging.INFO, logger="digest")
    async with ArxivServer() as server:
        url = server.program("/rss/cs.CV", Reply(body=body))
        summary = await run_poll(settings, database, sources=[url], clock=FakeClock())
    assert summary.sources[0].new_candidates == 3
    stored = candidates(database)
    assert stored[RELEVANT[0]].title == "Café: Line of Sight"
    assert stored[RELEVANT[0]].authors == ["Jürgen Müller", "张三"]
    assert stored[RELEVANT[2]].title == third["title"] + " \ufffd"
    assert any(url in m and "1 byte that is not valid UTF-8" in m for m in caplog.messages)


@pytest.mark.asyncio
async def test_a_reference_to_no_character_spoils_one_title_not_the_pass(
    settings: Settings, database: Database, caplog: pytest.LogCaptureFixture
) -> None:
    """`&#xD800;` (a surrogate) or `&#x110000;` (past Unicode) made feedparser raise: the pass ended with a traceback
    and no source after it was read. Now each such reference reads as U+FFFD, and the pass goes on."""
    first, second = records(RELEVANT[0])[0]["title"].encode(), records(RELEVANT[1])[0]["title"].encode()
    spoilt = feed(RELEVANT[0], RELEVANT[1]).replace(first, first + b" &#xD800;").replace(second, second + b"&#1114112;")
    caplog.set_level(logging.INFO, logger="digest")
    async with ArxivServer() as server:
        bad = server.program("/rss/cs.CV", Reply(body=spoilt))
        good = server.program("/rss/cs.LG", Reply(body=feed(RELEVANT[2], category="cs.LG")))
        summary = await run_poll(settings, database, sources=[bad, good], clock=FakeClock())
    assert [(r.outcome, r.new_candidates) for r in summary.sources] == [("fetched", 2), ("fetched", 1)]
    stored = candidates(database)
    assert sorted(stored) == sorted(RELEVANT)
    assert stored[RELEVANT[0]].title == first.decode() + " \ufffd"
    assert stored[RELEVANT[1]].title.endswith("\ufffd")
    assert any(bad in m and "2 character references to no Unicode character" in m for m in caplog.messages)


@pytest.mark.asyncio
async def test_a_date_no_calendar_holds_spoils_one_date_not_the_pass(
    settings: Settings, database: Database, caplog: pytest.LogCaptureFixture
) -> None:
    """A zero date written in a zone east of UTC (0001-01-01T00:00:00+01:00, a year 0 in UTC) or the last day of year
    9999 west of it raised ValueError out of the parser: the pass ended with a traceback, no source after it was read
    and each poll failed the same way. Such a date is now no date (one line says so), and the papers are kept."""
    item_date = re.compile(rb"(<item>(?:(?!</item>).)*?<pubDate>)[^<]*(</pubDate>)", re.DOTALL)
    bad_item = item_date.sub(rb"\g<1>0001-01-01T00:00:00+01:00\g<2>", feed(RELEVANT[0], RELEVANT[1]), count=1)
    bad_channel = re.sub(rb"<pubDate>[^<]*</pubDate>", b"<pubDate>9999-12-31T23:59:59-14:00</pubDate>",
                         feed(RELEVANT[2], category="cs.LG"), count=1)  # fmt: skip
    caplog.set_level(logging.INFO, logger="digest")
    async with ArxivServer() as server:
        first = server.program("/rss/cs.CV", Reply(body=bad_item))
        second = server.program("/rss/cs.LG", Reply(body=bad_channel))
        summary = await run_poll(settings, database, sources=[first, second], clock=FakeClock())
        asked = [request.path for request in server.requests]
    assert asked == ["/rss/cs.CV", "/rss/cs.LG"]
    assert [(r.outcome, r.new_candidates) for r in summary.sources] == [("fetched", 2), ("fetched", 1)]
    stored = candidates(database)
    assert sorted(stored) == sorted(RELEVANT)
    assert stored[RELEVANT[0]].published == datetime(2025, 6, 1, tzinfo=UTC)  # by its ID's month
    assert any(first in m and "item 1" in m and "0001-01-01T00:00:00+01:00" in m for m in caplog.messages)
    assert any(second in m and "9999-12-31T23:59:59-14:00" in m for m in caplog.messages)


def test_an_answer_feedparser_cannot_read_is_an_error_not_an_exception(monkeypatch: pytest.MonkeyPatch) -> None:
    """Whatever else feedparser may raise on untrusted bytes ends that source's answer, in one line."""
    import feedparser

    from digest.arxiv.parse import parse_feed

    def broken(*_args: Any, **_kwargs: Any) -> None:
        raise UnicodeEncodeError("utf-8", "\ud800", 0, 1, "surrogates not allowed")

    monkeypatch.setattr(feedparser, "parse", broken)
    parsed = parse_feed(feed(RELEVANT[0]), "cs.CV")
    assert parsed.papers == [] and not parsed.well_formed
    assert parsed.error is not None and parsed.error.startswith("feedparser could not read the answer (UnicodeEncode")


@pytest.mark.asyncio
async def test_malformed_and_oversized_answers_store_nothing_half(settings: Settings, database: Database) -> None:
    whole = feed(*RELEVANT)
    cut = whole[: whole.index(b"<item>", whole.index(b"<item>") + 1) + 300]
    small = make_settings(settings.data_dir, "[arxiv]\nmax_response_bytes = 1048576\n")
    async with ArxivServer() as server:
        truncated = server.program("/rss/cs.CV", Reply(body=cut, etag='"cut"'))
        huge = server.program("/rss/cs.LG", Reply(stream_bytes=50 * 1024 * 1024))
        summary = await run_poll(small, database, sources=[truncated, huge], clock=FakeClock())
    first, second = summary.sources
    assert first.outcome == "fetched" and first.new_candidates == 1 and first.problems
    assert state(database, truncated).etag is None  # read leniently: fetched whole again next time
    # What followed the cut never came: the pass is not "ok", so the day's retry asks again.
    assert first.cut_off == 1 and first.failed and "the rest of the feed is missing" in first.line()
    assert summary.outcome == "partial"
    assert second.outcome == "error" and "over the 1 MiB limit" in second.message
    assert sorted(candidates(database)) == [RELEVANT[0]]


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


def test_poll_and_candidates_commands(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from digest.cli import main

    path = tmp_path / "cs.CV.xml"
    path.write_bytes(feed(*RELEVANT, *UNRELATED))
    data_dir = str(tmp_path / "data")
    assert main(["--data-dir", data_dir, "poll", "--source", str(path), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["outcome"] == "ok" and summary["sources"][0]["new_candidates"] == 3
    assert sorted(summary["sources"][0]["new"]) == sorted(RELEVANT)  # what to decide, for a script
    assert main(["--data-dir", data_dir, "poll", "--source", str(path)]) == 0
    out = capsys.readouterr().out
    assert f"{path}: fetched, 7 entries" in out and "3 already known, 0 new candidates" in out
    assert main(["--data-dir", data_dir, "candidates", "--status", "pending", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert sorted(row["arxiv_id"] for row in rows) == sorted(RELEVANT)
    assert main(["--data-dir", data_dir, "candidates", "--status", "rejected"]) == 0
    assert capsys.readouterr().out.strip() == "no candidates with status rejected"


@pytest.mark.asyncio
async def test_rules_that_cannot_be_used_fail_the_poll_in_one_line_and_store_nothing(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The model is built while the first feed downloads; when its rules are broken the pass fails with their error,
    keeps no candidate, asks no further source, and leaves each source's state as it was, so the next poll with
    mended rules reads the feeds whole."""
    feeds = tmp_path / "feeds"
    feeds.mkdir()
    shutil.copy(resources.feeds_dir() / "sources.toml", feeds / "sources.toml")
    (feeds / "rules.toml").write_text('[modality]\nstrong = "not a list"\n', encoding="utf-8")
    settings = make_settings(
        tmp_path / "data", f'feeds_dir = "{feeds}"\n[arxiv]\ncontact = "maintainers@example.org"\n'
    )
    database = open_service_database(settings)
    try:
        async with ArxivServer() as server:
            cv = server.program("/rss/cs.CV", Reply(body=feed(*RELEVANT), etag='"cv-0427"'))
            cl = server.program("/rss/cs.CL", Reply(body=feed(*UNRELATED, category="cs.CL"), etag='"cl-0427"'))
            with caplog.at_level(logging.ERROR, logger="digest.poller"):
                summary = await run_poll(settings, database, sources=[cv, cl], clock=FakeClock())
            asked = [request.path for request in server.requests]
        assert summary.outcome == "failed"
        errors = [record.getMessage() for record in caplog.records if record.levelno >= logging.ERROR]
        assert len(errors) == 1 and errors[0].startswith("poll: the relevance rules cannot be used:")
        assert "\n" not in errors[0]
        assert candidates(database) == {}
        assert "/rss/cs.CL" not in asked
        with database.reading() as session:
            assert [row.etag for row in session.scalars(select(FeedState))] in ([], [None])
    finally:
        database.dispose()


def test_poll_takes_several_sources_after_one_source_option_as_the_readme_writes_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """README: `poll [--source URL_OR_PATH ...]`. `digest poll --source a.xml b.xml` was a usage error ('unrecognized
    arguments: b.xml', exit 2); both are polled now, as with `--source a.xml --source b.xml`."""
    from digest.cli import main

    monkeypatch.chdir(tmp_path)  # no stray .env
    first, second = tmp_path / "cs.CV.xml", tmp_path / "cs.CL.xml"
    first.write_bytes(feed(RELEVANT[0]))
    second.write_bytes(feed(RELEVANT[1], category="cs.CL"))
    data_dir = str(tmp_path / "data")
    assert main(["--data-dir", data_dir, "poll", "--source", str(first), str(second), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert [report["source"] for report in summary["sources"]] == [str(first), str(second)]
    assert summary["new_candidates"] == 2


def test_a_poll_failed_by_its_rules_says_so_not_that_there_was_nothing_to_poll(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """README: 'A data folder whose rules never worked has nothing to fall back on: its polls fail in one line.' The
    line `digest poll` printed (and /healthz showed) was 'nothing to poll: no feeds or API queries', sending the
    maintainer to sources.toml for a feed given on the command line; it names the rules file now."""
    from digest.cli import main

    monkeypatch.chdir(tmp_path)  # no stray .env
    feeds = tmp_path / "feeds"
    feeds.mkdir()
    shutil.copy(resources.feeds_dir() / "sources.toml", feeds / "sources.toml")
    (feeds / "rules.toml").write_text('[modality]\nstrong = "not a list"\n', encoding="utf-8")
    config = tmp_path / "config.toml"
    config.write_text(f'feeds_dir = "{feeds}"\n', encoding="utf-8")
    path = tmp_path / "cs.CV.xml"
    path.write_bytes(feed(*RELEVANT))
    command = ["--config", str(config), "--data-dir", str(tmp_path / "data"), "poll", "--source", str(path)]
    status = main(command)
    out = capsys.readouterr().out
    assert status == 1
    assert "nothing to poll" not in out, out
    assert f"{feeds / 'rules.toml'}" in out and "rules" in out, out
    assert main([*command, "--json"]) == 1
    summary = json.loads(capsys.readouterr().out)
    assert summary["outcome"] == "failed" and "rules.toml" in summary["reason"]
    # /healthz, in the service beside it, reads the run from the database: it names the rules too.
    from digest.web.pages import poll_run_problem

    database = open_service_database(make_settings(tmp_path / "data", config.read_text(encoding="utf-8")))
    try:
        with database.reading() as session:
            last = session.scalars(select(PollRun).order_by(PollRun.id.desc())).first()
            problem = poll_run_problem(last, datetime.now(UTC))
    finally:
        database.dispose()
    assert problem is not None and "rules.toml" in problem, problem


@pytest.mark.asyncio
async def test_a_stop_while_the_model_is_built_ends_the_poll_at_once_and_stores_nothing(
    settings: Settings, database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The feed is in, the model is still being built (seconds in the service's child process) and the service
    stops: the pass ends as interrupted without waiting for the build, keeps nothing of the answer and leaves the
    source's state as it was, so the next poll reads the feed whole."""
    from digest.arxiv import fetcher, poll_pass

    stopping, released = asyncio.Event(), threading.Event()
    real = poll_pass.ensure_thresholds

    def slow_build(*args: Any) -> Any:
        released.wait(60)  # a build that outlasts the stop
        return real(*args)

    async def stop_the_service() -> None:
        stopping.set()

    monkeypatch.setattr(poll_pass, "ensure_thresholds", slow_build)
    token = fetcher.STOP_WAITING.set(stopping)
    try:
        async with ArxivServer() as server:
            reply = Reply(body=feed(*RELEVANT), etag='"cv-0427"', before_answer=stop_the_service)
            url = server.program("/rss/cs.CV", reply)
            summary = await asyncio.wait_for(run_poll(settings, database, sources=[url], clock=FakeClock()), 30)
    finally:
        fetcher.STOP_WAITING.reset(token)
        released.set()
    assert summary.outcome == "interrupted"
    # Its line said "interrupted: nothing to poll: no feeds or API queries (feeds/sources.toml, or [arxiv] sources)",
    # sending the operator to a sources file that was fine.
    assert "nothing to poll" not in str(summary) and "before any source" in str(summary), str(summary)
    assert candidates(database) == {}
    with database.reading() as session:
        assert [row.etag for row in session.scalars(select(FeedState))] in ([], [None])


@pytest.mark.asyncio
async def test_two_polls_storing_one_feed_at_once_keep_each_paper_once_and_both_succeed(
    tmp_path: Path,
    each_database: dict[str, str],  # noqa: F811
) -> None:
    """The service's poll and a `digest poll` (or `backfill`, `add`) beside it store the same new papers at once: each
    finds them unknown and inserts them. On PostgreSQL the later one failed its source ("cannot store the results:
    duplicate key value violates unique constraint") and the poll was reported partial or failed."""
    settings = make_settings(tmp_path / "data", '[arxiv]\ncontact = "maintainers@example.org"\n', each_database)
    service_db, shell_db = open_service_database(settings), open_database(settings.database_url)
    reached, resume = threading.Event(), threading.Event()

    def pause(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().startswith("INSERT INTO candidates") and not reached.is_set():
            reached.set()  # the service's poll found the papers new and is about to insert them
            resume.wait(3)

    event.listen(service_db.engine, "before_cursor_execute", pause)
    try:
        async with ArxivServer() as server:
            url = server.program("/rss/cs.CV", Reply(body=feed(*RELEVANT, *UNRELATED)))
            service = asyncio.ensure_future(run_poll(settings, service_db, sources=[url], clock=FakeClock()))
            assert await asyncio.to_thread(reached.wait, 10)
            shell = await run_poll(settings, shell_db, sources=[url], clock=FakeClock())
            resume.set()
            first = await service
    finally:
        resume.set()
        shell_db.dispose()
    outcomes = [(s.sources[0].outcome, s.sources[0].message, s.outcome) for s in (first, shell)]
    assert outcomes == [("fetched", "", "ok"), ("fetched", "", "ok")], outcomes
    assert sorted(candidates(service_db)) == sorted(RELEVANT)
    service_db.dispose()


@pytest.mark.asyncio
async def test_announcement_days_no_poll_read_are_said_with_the_backfill_that_reads_them(
    settings: Settings, database: Database, caplog: pytest.LogCaptureFixture
) -> None:
    """The service was down from Monday's poll to Thursday's (a crashed host, a holiday of its own): Thursday's poll
    read Thursday's feed and said "fetched ... ok"; Tuesday's and Wednesday's papers, gone from arXiv's one-day
    feeds, were never read and nothing said so. Friday to Monday (a weekend) is no gap."""
    thursday, friday, monday = date(2026, 4, 30), date(2026, 5, 1), date(2026, 5, 4)
    async with ArxivServer() as server:
        url = server.program(
            "/rss/cs.CV",
            Reply(body=feed(RELEVANT[0], day=MONDAY)),
            Reply(body=feed(RELEVANT[1], day=thursday)),
            Reply(body=feed(RELEVANT[2], day=friday)),
            Reply(body=feed(UNRELATED[0], day=monday)),
        )
        with caplog.at_level(logging.WARNING, logger="digest.arxiv"):
            lines = [
                (await run_poll(settings, database, sources=[url], clock=FakeClock())).sources[0].line()
                for _ in range(4)
            ]
    gap = (
        "no feed was read for 2 announcement days since the last one (Tue 2026-04-28, Wed 2026-04-29): their papers "
        "were not seen; 'digest backfill --since 2026-04-24' reads them from the API"
    )
    assert gap in lines[1], lines[1]
    assert [line for i, line in enumerate(lines) if i != 1 and "no feed was read" in line] == []
    assert [record.levelname for record in caplog.records if gap in record.getMessage()] == ["WARNING"]


@pytest.mark.asyncio
async def test_a_304_to_a_request_that_named_no_earlier_answer_is_no_quiet_day(
    settings: Settings, database: Database
) -> None:
    """A caching proxy (or a mirror) answered the first poll of a feed "304 Not Modified" though the poll sent no
    ETag or date to compare with: the poll said "not-modified ... ok", so neither the retry nor anyone else read that
    day's feed. Nothing was read: it is a failure of that source, and the retry reads the feed."""
    async with ArxivServer() as server:
        url = server.program("/rss/cs.CV", Reply(status=304), Reply(body=feed(*RELEVANT)))
        first = await run_poll(settings, database, sources=[url], clock=FakeClock())
        retry = await run_poll(settings, database, sources=[url], clock=FakeClock())
    assert first.outcome == "failed" and "304" in first.sources[0].line(), first.sources[0].line()
    assert state(database, url).failures == 0 and retry.sources[0].new_candidates == 3


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


@pytest.mark.asyncio
async def test_an_answer_cut_off_between_two_items_is_asked_again(settings: Settings, database: Database) -> None:
    """A feed whose answer stops right after an item's end (a proxy or arXiv ending the answer part-way, between two
    items rather than inside one): the items read were stored and the poll said "ok", so the retry job saw a fine day
    and the rest of that day's feed was never read. Like an answer cut inside an item, it fails its source, and the
    retry reads the whole feed."""
    whole = feed(*RELEVANT, *UNRELATED)
    first_end = whole.index(b"</item>") + len(b"</item>")
    async with ArxivServer() as server:
        url = server.program("/rss/cs.CV", Reply(body=whole[:first_end], etag='"cut"'), Reply(body=whole, etag='"w"'))
        cut = await run_poll(settings, database, sources=[url], clock=FakeClock())
        retry = await run_poll(settings, database, sources=[url], clock=FakeClock())
    report = cut.sources[0]
    assert cut.outcome == "partial" and report.failed, report.line()
    assert "the rest of the feed is missing" in report.line()
    assert state(database, url).etag == '"w"' and retry.outcome == "ok"
    assert sorted(candidates(database)) == sorted(RELEVANT)
