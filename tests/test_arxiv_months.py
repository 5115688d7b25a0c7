"""Watching arXiv over months: backfills longer than the API gives one query, resumed, run again, and reading the
categories the list watches (each test failing on the code it was written against). IDs arXiv has no paper for are in
test_arxiv_months_ids.py, days announced late in _days, Retry-After and schedules in _schedule.

Everything runs against the loopback arXiv stand-in (tests/arxiv_server.py) serving the real recorded files in
tests/data/arxiv, over a real SQLite file.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from urllib.parse import parse_qs

import pytest

from digest.arxiv.backfill import backfill
from digest.config import Settings
from digest.service.wiring import open_service_database
from digest.storage.db import Database
from tests.arxiv_answers import api_page, api_settings, without_entries
from tests.arxiv_server import ArxivServer, FakeClock, Reply
from tests.conftest import make_settings
from tests.poller_feeds import settings as settings  # the fixture


def dated_page(name: str, total: int, days: Sequence[str]) -> bytes:
    """A real API page whose papers were submitted on these days (one date per entry, in order), of `total` results."""
    page = api_page(name).replace(b">214881<", f">{total}<".encode())
    stamps = iter(days)
    return re.sub(
        rb"<published>[^<]*</published>", lambda _: f"<published>{next(stamps)}T12:00:00Z</published>".encode(), page
    )


def asked(server: ArxivServer) -> list[tuple[str, int]]:
    """Each API request's date window and start."""
    found = []
    for request in server.requests_to("/api/query"):
        query = parse_qs(request.query)
        window = re.search(r"submittedDate:\[(\d{8})\d{4} TO (\d{8})", query["search_query"][0])
        assert window is not None
        found.append((f"{window[1]}-{window[2]}", int(query["start"][0])))
    return found


@pytest.mark.asyncio
async def test_backfill_past_the_api_result_limit_goes_on_by_date_and_finishes(
    settings: Settings, database: Database
) -> None:
    """arXiv's API gives no result past the 30,000th of a query (start beyond is refused or answered empty), and
    `digest backfill --since DATE` asked one query from DATE to now: a backfill over a year of cs.* reached the
    limit, then stopped on the empty pages (or the refusal), and every run after resumed into the same wall, never
    done. Now the period is asked a month at a time; a month over the limit goes on a day at a time from the day it
    reached; no request passes the limit, the run is done, and says what it did. A second run asks only the month
    holding today, from where the first stopped."""
    march_start = [f"2026-03-0{day}" for day in range(1, 10)] + ["2026-03-10"]
    march_end = [f"2026-03-{day}" for day in range(20, 29)] + ["2026-03-29"]
    empty = without_entries(api_page("s0_m10_bc5a6c384fe9")).replace(b">214881<", b">0<")
    async with ArxivServer() as server:
        server.program(
            "/api/query",
            Reply(body=dated_page("s0_m10_bc5a6c384fe9", 25, march_start)),  # March: over the limit of 20
            Reply(body=dated_page("s10_m10_34e56e15aaac", 25, march_end)),  # reaches the limit on the 29th
            Reply(body=dated_page("s20_m10_348a237fecab", 10, ["2026-03-29"] * 10)),  # the 29th, whole
            Reply(body=empty),  # the 30th
            Reply(body=empty),  # the 31st
            Reply(body=dated_page("s30_m10_f2e39f0143dc", 10, ["2026-04-02"] * 10)),  # April, open-ended
            Reply(status=400, body=b"start past the limit"),
        )
        report = await backfill(api_settings(settings, server), database, date(2026, 3, 1), page_size=10,
                                clock=FakeClock(), result_limit=20)  # fmt: skip
        first = asked(server)
        server.program("/api/query", Reply(body=empty))  # nothing submitted since in April
        again = await backfill(api_settings(settings, server), database, date(2026, 3, 1), page_size=10,
                               clock=FakeClock(), result_limit=20)  # fmt: skip
    assert first == [
        ("20260301-20260331", 0),
        ("20260301-20260331", 10),
        ("20260329-20260329", 0),
        ("20260330-20260330", 0),
        ("20260331-20260331", 0),
        ("20260401-29991231", 0),
    ]
    assert report.done and report.stopped is None, report
    assert report.entries == 40 and report.by_day == ["2026-03-01 to 2026-03-31"]
    # March, read whole, is not asked again; April, the month holding today, only from where the first run stopped.
    assert again.done and again.windows == 1 and asked(server)[len(first) :] == [("20260401-29991231", 10)]


@pytest.mark.asyncio
async def test_a_backfill_stopped_at_the_limit_resumes_a_day_at_a_time_in_the_next_month(
    settings: Settings, database: Database
) -> None:
    """A backfill run in March reached the API's limit in March and stopped there (Ctrl-C, or its pages ran out);
    run again in April, March is a closed window whose place comes from March's own run: it goes on a day at a time
    from the day reached, asks no start past the limit (a request for no results), and finishes."""
    march_start = [f"2026-03-0{day}" for day in range(1, 10)] + ["2026-03-10"]
    march_end = [f"2026-03-{day}" for day in range(20, 29)] + ["2026-03-29"]
    empty = without_entries(api_page("s0_m10_bc5a6c384fe9")).replace(b">214881<", b">0<")
    async with ArxivServer() as server:
        server.program(
            "/api/query",
            Reply(body=dated_page("s0_m10_bc5a6c384fe9", 25, march_start)),
            Reply(body=dated_page("s10_m10_34e56e15aaac", 25, march_end)),
        )
        in_march = FakeClock(datetime(2026, 3, 30, 12, 0, tzinfo=UTC))
        first = await backfill(api_settings(settings, server), database, date(2026, 3, 1), page_size=10,
                               clock=in_march, max_pages=2, result_limit=20)  # fmt: skip
        server.program(
            "/api/query",
            Reply(body=dated_page("s20_m10_348a237fecab", 10, ["2026-03-29"] * 10)),
            Reply(body=empty),
            Reply(body=empty),
            Reply(body=dated_page("s30_m10_f2e39f0143dc", 10, ["2026-04-02"] * 10)),
            Reply(status=400, body=b"start past the limit"),
        )
        second = await backfill(api_settings(settings, server), database, date(2026, 3, 1), page_size=10,
                                clock=FakeClock(), result_limit=20)  # fmt: skip
    assert not first.done
    assert asked(server)[2:] == [
        ("20260329-20260329", 0),
        ("20260330-20260330", 0),
        ("20260331-20260331", 0),
        ("20260401-29991231", 0),
    ]
    assert second.done and second.stopped is None, second


@pytest.mark.asyncio
async def test_a_backfill_run_again_later_in_the_month_reads_what_was_submitted_since(
    settings: Settings, database: Database
) -> None:
    """The month holding today is open-ended: a backfill that read it to its end on the 2nd took it for a month read
    whole, so the same command (or the `--since` a poll names after the service was down) run on the 20th asked
    nothing and read none of the papers submitted in between: 'done', with the missed days never read. Now the month
    holding today goes on from where it stopped, as one run did before the date windows."""
    async with ArxivServer() as server:
        server.program("/api/query", Reply(body=dated_page("s0_m10_bc5a6c384fe9", 10, ["2026-04-02"] * 10)))
        on_the_2nd = FakeClock(datetime(2026, 4, 2, 12, 0, tzinfo=UTC))
        first = await backfill(api_settings(settings, server), database, date(2026, 4, 1), page_size=10,
                               clock=on_the_2nd)  # fmt: skip
        server.program("/api/query", Reply(body=dated_page("s10_m10_34e56e15aaac", 20, ["2026-04-15"] * 10)))
        on_the_20th = FakeClock(datetime(2026, 4, 20, 12, 0, tzinfo=UTC))
        second = await backfill(api_settings(settings, server), database, date(2026, 4, 1), page_size=10,
                                clock=on_the_20th)  # fmt: skip
    assert first.done and first.entries == 10
    assert asked(server) == [("20260401-29991231", 0), ("20260401-29991231", 10)]
    assert second.done and second.entries == 10, second


@pytest.mark.asyncio
async def test_a_backfill_reads_the_categories_the_list_watches(tmp_path: Path) -> None:
    """README ("Rules for a list of your own"): point feeds_dir at your own folder. A list watching cs.IR polled
    cs.IR, but `digest backfill` (the command a missed day's warning names) asked the API for cs.CV, cs.CL, cs.LG and
    cs.AI whatever the feeds were, so the missed papers never came. It now asks the categories the feeds name."""
    import shutil

    from digest import resources

    feeds = tmp_path / "feeds"
    shutil.copytree(resources.feeds_dir(), feeds)
    (feeds / "sources.toml").write_text(
        'feeds = ["https://rss.arxiv.org/rss/cs.IR", "https://rss.arxiv.org/rss/cs.CL+cs.DL"]\n', encoding="utf-8"
    )
    empty = without_entries(api_page("s0_m10_bc5a6c384fe9")).replace(b">214881<", b">0<")
    async with ArxivServer() as server:
        settings = make_settings(
            tmp_path / "data",
            f'feeds_dir = "{feeds}"\n[arxiv]\ncontact = "maintainers@example.org"\n'
            f'api_url = "{server.url("/api/query")}"\n',
        )
        database = open_service_database(settings)
        try:
            server.program("/api/query", Reply(body=empty))
            report = await backfill(settings, database, date(2026, 4, 1), page_size=10, clock=FakeClock())
        finally:
            database.dispose()
        queries = [parse_qs(request.query)["search_query"][0] for request in server.requests_to("/api/query")]
    assert report.done, report
    assert queries and all(query.startswith("(cat:cs.IR OR cat:cs.CL OR cat:cs.DL) AND ") for query in queries)
