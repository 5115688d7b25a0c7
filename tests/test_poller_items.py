"""A poll pass reading a feed's odd items against a local arXiv stand-in: IDs arXiv cannot have issued or that name
no paper, links to another paper, UTF-16, bytes not UTF-8, references to no character, dates no calendar holds."""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime
from typing import Any

import pytest

from digest.arxiv.poll_pass import run_poll
from digest.config import Settings
from digest.storage.db import Database
from tests.arxiv_server import ArxivServer, FakeClock, Reply
from tests.feedbuild import build_rss
from tests.poller_feeds import MONDAY, RELEVANT, candidates, feed, records
from tests.poller_feeds import settings as settings  # the fixture


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
