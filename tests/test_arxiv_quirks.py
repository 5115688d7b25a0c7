"""How arXiv's data quirks are handled: the API's paging (empty pages, cut pages, totals no column holds), in a
backfill and in a polled API query (first written by a QA review, each test failing on the code it was written
against). New versions and dates are in test_arxiv_quirks_versions.py, old-style IDs and hundreds of authors in
_names, politeness to arXiv in _politeness.

Everything runs against the loopback arXiv stand-in (tests/arxiv_server.py) serving the real recorded files in
tests/data/arxiv, or feeds built the way tests/feedbuild.py builds them, over a real SQLite file.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from digest.arxiv.backfill import backfill
from digest.arxiv.poll_pass import run_poll
from digest.config import Settings
from digest.service.wiring import open_service_database as open_database
from digest.storage.db import Database
from digest.storage.state import BackfillState
from tests.arxiv_answers import api_page, api_settings, without_entries
from tests.arxiv_server import ArxivServer, FakeClock, Reply
from tests.conftest import make_settings
from tests.poller_feeds import settings as settings  # the fixture
from tests.postgres_server import each_database, postgres_server, postgres_url  # noqa: F401  (fixtures)


def saved_place(database: Database) -> BackfillState:
    with database.reading() as session:
        state = session.scalars(select(BackfillState)).one()
        session.expunge_all()
        return state


# ---------------------------------------------------------------------------------------------------------------------
# Backfill: the API's paging quirks


@pytest.mark.asyncio
async def test_backfill_an_empty_page_before_total_results_is_not_the_end(
    settings: Settings, database: Database
) -> None:
    """arXiv's API sometimes answers a page with no entries although opensearch:totalResults says thousands remain
    (arxiv.py retries such pages: UnexpectedEmptyPageError). The backfill takes that one glitch for the end: it
    stops, reports "done" (exit 0) and saves done=True, so the maintainer never learns that 214,861 papers were not
    read."""
    first, second = api_page("s0_m10_bc5a6c384fe9"), api_page("s10_m10_34e56e15aaac")
    async with ArxivServer() as server:
        server.program("/api/query", Reply(body=first), Reply(body=without_entries(second)), Reply(body=second))
        report = await backfill(api_settings(settings, server), database, date(2026, 4, 1), page_size=10,
                                clock=FakeClock(), max_pages=3)  # fmt: skip
    assert report.total == 214881
    # Observed: pages=2, entries=10, next_start=10, done=True (and saved done=True).
    assert not (report.done and report.next_start < report.total), (
        f"backfill says done at {report.next_start} of {report.total} after one empty page"
    )
    assert report.entries == 20
    assert saved_place(database).done is False


@pytest.mark.asyncio
async def test_backfill_a_page_cut_off_mid_entry_loses_that_paper(settings: Settings, database: Database) -> None:
    """A page whose body ends inside an entry (a proxy or arXiv dropping the answer part-way; the poll treats this as
    a failure and asks again). The backfill counts the half entry as read ("skipped") and moves its saved place past
    it: the next page starts after it, so that paper is never asked for again and never judged."""
    whole = api_page("s0_m10_bc5a6c384fe9")
    entries = [m.start() for m in re.finditer(rb"<entry>", whole)]
    cut = whole[: entries[5] + 400]  # five whole entries, then the sixth cut off inside
    lost_id = re.search(rb"<id>http://arxiv.org/abs/([^<]+?)v\d+</id>", whole[entries[5] :])[1].decode()  # type: ignore[index]
    async with ArxivServer() as server:
        server.program("/api/query", Reply(body=cut), Reply(body=api_page("s10_m10_34e56e15aaac")))
        report = await backfill(api_settings(settings, server), database, date(2026, 4, 1), page_size=10,
                                clock=FakeClock(), max_pages=2)  # fmt: skip
        starts = [r.query for r in server.requests_to("/api/query")]
    # Observed: the second request asks start=6, so entry 6 (index 5) is never fetched whole.
    assert report.stopped is not None or "start=5&" in starts[1], (
        f"{lost_id} was cut off and then skipped: the next request was {starts[1]!r}"
    )


@pytest.mark.asyncio
@pytest.mark.parametrize("total", ["\u00b2", "3000000000"])
async def test_backfill_reads_pages_whose_total_no_database_column_holds(
    tmp_path: Path,
    each_database: dict[str, str],  # noqa: F811
    total: str,
) -> None:
    """An answer whose opensearch:totalResults is a digit Python cannot convert ('²': `str.isdigit` says yes, `int`
    refuses) ended the parse with a ValueError traceback, and a total past 2**31 (a mirror's or a proxy's answer)
    stopped the backfill on PostgreSQL, whose INTEGER column refused to save its place ("integer out of range"). Such
    a total is no total: the page's papers are read and the place saved, on either database."""
    page = api_page("s0_m10_bc5a6c384fe9").replace(b">214881<", f">{total}<".encode())
    async with ArxivServer() as server:
        server.program("/api/query", Reply(body=page))
        settings = make_settings(
            tmp_path / "data",
            f'[arxiv]\ncontact = "maintainers@example.org"\napi_url = "{server.url("/api/query")}"\n',
            each_database,
        )
        database = open_database(settings)
        try:
            report = await backfill(settings, database, date(2026, 4, 1), page_size=10, clock=FakeClock(), max_pages=1)
            assert report.entries == 10 and report.total is None
            assert saved_place(database).next_start == 10
        finally:
            database.dispose()


@pytest.mark.asyncio
async def test_backfill_stops_resumably_when_empty_pages_go_on(settings: Settings, database: Database) -> None:
    """Empty pages before totalResults, again and again: asked again a few times with the fetcher's back-off, then
    the backfill stops (not done), with one line saying why, and its saved place is where a new run resumes."""
    from digest.arxiv.backfill import PAGE_RETRIES

    first, second = api_page("s0_m10_bc5a6c384fe9"), api_page("s10_m10_34e56e15aaac")
    clock = FakeClock()
    async with ArxivServer() as server:
        server.program("/api/query", Reply(body=first), Reply(body=without_entries(second)))
        report = await backfill(api_settings(settings, server), database, date(2026, 4, 1), page_size=10, clock=clock)
        starts = [r.query for r in server.requests_to("/api/query")]
        server.program("/api/query", Reply(body=second))
        resumed = await backfill(api_settings(settings, server), database, date(2026, 4, 1), page_size=10,
                                 clock=clock, max_pages=1)  # fmt: skip
    assert len(starts) == 2 + PAGE_RETRIES and all("start=10&" in start for start in starts[1:])
    assert [s for s in clock.sleeps if s != 3.0] == [5.0, 10.0, 20.0]  # the back-off, beside the 3 s spacing
    assert not report.done and report.stopped is not None and "\n" not in report.stopped
    assert "empty page" in report.stopped and "10 of 214881" in report.stopped
    assert (report.entries, report.next_start) == (10, 10)
    assert resumed.entries == 10 and resumed.next_start == 20 and not resumed.done


@pytest.mark.asyncio
async def test_backfill_keeps_the_whole_entries_of_a_cut_off_page(settings: Settings, database: Database) -> None:
    """The whole entries before the cut are stored; the entry cut off is the first one asked for next."""
    whole = api_page("s0_m10_bc5a6c384fe9")
    entries = [m.start() for m in re.finditer(rb"<entry>", whole)]
    async with ArxivServer() as server:
        server.program("/api/query", Reply(body=whole[: entries[5] + 400]), Reply(body=api_page("s5_m10_c0e94a259d4a")))
        report = await backfill(api_settings(settings, server), database, date(2026, 4, 1), page_size=10,
                                clock=FakeClock(), max_pages=2)  # fmt: skip
    assert (report.entries, report.next_start, report.stopped) == (15, 15, None)
    assert saved_place(database).next_start == 15


@pytest.mark.asyncio
async def test_backfill_an_empty_page_saying_zero_results_mid_paging_is_not_the_end(
    settings: Settings, database: Database
) -> None:
    """The glitch the new retry is for, in the form arXiv's API also sends it: an empty feed whose
    opensearch:totalResults is 0 (its answer for "nothing matched") at start=10, after page one said 214,881. The
    backfill takes the glitchy 0 as the new total, so the empty page is 'the end': done=True is saved at 10 of 0,
    and the next run of the same query has nothing to resume. A total that drops to 0 mid-paging (or any empty page
    after a non-empty one, as arxiv.py treats it) should be asked again like the other empty pages."""
    first, second = api_page("s0_m10_bc5a6c384fe9"), api_page("s10_m10_34e56e15aaac")
    glitch = re.sub(rb"(<opensearch:totalResults[^>]*>)\d+(<)", rb"\g<1>0\g<2>", without_entries(second))
    assert b">0</opensearch:totalResults>" in glitch
    async with ArxivServer() as server:
        server.program("/api/query", Reply(body=first), Reply(body=glitch), Reply(body=second))
        report = await backfill(api_settings(settings, server), database, date(2026, 4, 1), page_size=10,
                                clock=FakeClock(), max_pages=3)  # fmt: skip
    assert not report.done, f"done at {report.next_start} of {report.total} after one empty page"
    assert report.entries == 20
    assert saved_place(database).done is False


@pytest.mark.asyncio
async def test_a_polled_api_query_answered_with_an_empty_page_is_asked_again(
    settings: Settings, database: Database
) -> None:
    """An API query in feeds/sources.toml is polled like a feed. arXiv's API answered it with its known glitch, no
    entries although totalResults says 214,881: the poll said "fetched, 0 entries ... ok", so the retry job saw a
    fine day and that day's papers of the query were never read. It is broken, retried, and read at the retry."""
    full = api_page("s0_m10_bc5a6c384fe9")
    async with ArxivServer() as server:
        url = server.program("/api/query", Reply(body=without_entries(full)), Reply(body=full))
        glitch = await run_poll(settings, database, sources=[url], clock=FakeClock())
        retried = await run_poll(settings, database, sources=[url], clock=FakeClock())
    report = glitch.sources[0]
    assert (glitch.outcome, report.outcome) == ("failed", "broken"), report.line()
    assert "no entries" in report.message and "214881" in report.message
    assert retried.outcome == "ok" and retried.sources[0].entries == 10
