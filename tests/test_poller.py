"""A poll pass against a local arXiv stand-in: candidates stored, 304s, quiet days, broken answers, dedupe, gaps."""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, select

from digest.arxiv.poll_pass import run_poll
from digest.awesome import store as liststore
from digest.config import Settings
from digest.service.wiring import open_service_database
from digest.storage.db import Database, open_database
from digest.storage.models import REJECTED, Candidate
from digest.storage.state import PollRun
from tests.arxiv_server import ArxivServer, FakeClock, Reply
from tests.conftest import make_settings
from tests.feedbuild import build_rss
from tests.poller_feeds import MONDAY, RELEVANT, RSS, UNRELATED, candidates, feed, records, state
from tests.poller_feeds import settings as settings  # the fixture
from tests.postgres_server import each_database, postgres_server, postgres_url  # noqa: F401  (fixtures)


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
