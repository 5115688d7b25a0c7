"""A backfill whose API answers' opensearch:totalResults says fewer results than the pages hold (arXiv's total is now
and then behind its own index): the pages after that count are read too, up to a page that comes back short. Real
recorded API pages on a loopback arXiv, a real SQLite file."""

from __future__ import annotations

from datetime import date

import pytest

from digest.arxiv.backfill import backfill
from digest.config import Settings
from digest.storage.db import Database
from tests.arxiv_server import ARXIV_DATA, ArxivServer, FakeClock, Reply
from tests.conftest import make_settings

PAGES = ("s0_m10_bc5a6c384fe9", "s10_m10_34e56e15aaac", "s20_m10_348a237fecab")
EMPTY = (ARXIV_DATA / "api" / "api_new_ti-quoted_2025-11-23_0results.xml").read_bytes()


def _page(name: str, total: int) -> Reply:
    body = (ARXIV_DATA / "api" / f"api_new_arxiv.py_q_testing_{name}_http200.xml").read_bytes()
    said = body.replace(b"<opensearch:totalResults>214881<", f"<opensearch:totalResults>{total}<".encode())
    assert said != body
    return Reply(body=said, content_type="application/atom+xml; charset=utf-8")


@pytest.mark.asyncio
async def test_a_total_lower_than_the_pages_hold_does_not_end_the_backfill(
    settings: Settings, database: Database
) -> None:
    """Every page said 15 results; the second page came back full (20 read): the backfill took the window as done
    and never asked for the third page's ten papers."""
    async with ArxivServer() as server:
        url = server.program(
            "/api/query",
            *(_page(name, 15) for name in PAGES),
            Reply(body=EMPTY, content_type="application/atom+xml; charset=utf-8"),
        )
        api_settings = make_settings(settings.data_dir, f'[arxiv]\napi_url = "{url}"\n')
        report = await backfill(api_settings, database, date(2026, 4, 1), page_size=10, clock=FakeClock())
    starts = [request.query.split("&start=")[1].split("&")[0] for request in server.requests_to("/api/query")]
    assert starts == ["0", "10", "20", "30"]
    assert (report.entries, report.next_start, report.done) == (30, 30, True)


@pytest.mark.asyncio
async def test_a_total_higher_than_the_results_does_not_stop_every_rerun_at_the_same_empty_page(
    settings: Settings, database: Database, caplog: pytest.LogCaptureFixture
) -> None:
    """Every page said 40 results and there were 30: the page at 30 came back empty, was asked again three times and
    the backfill stopped, resumable; every rerun then stopped at that same empty page, the same way, for ever (and the
    months after it were never read). A rerun that finds the page where the last run stopped still empty now takes it
    for the end (after asking it again as often as the first run did), and says so in one line."""
    empty = Reply(body=EMPTY, content_type="application/atom+xml; charset=utf-8")
    async with ArxivServer() as server:
        url = server.program("/api/query", *(_page(name, 40) for name in PAGES), empty)
        api_settings = make_settings(settings.data_dir, f'[arxiv]\napi_url = "{url}"\n')
        first = await backfill(api_settings, database, date(2026, 4, 1), page_size=10, clock=FakeClock())
        asked_first = len(server.requests_to("/api/query"))
        caplog.clear()
        rerun = await backfill(api_settings, database, date(2026, 4, 1), page_size=10, clock=FakeClock())
        rerun_starts = [r.query.split("&start=")[1].split("&")[0] for r in server.requests_to("/api/query")]
    assert (
        first.stopped is not None
        and "empty page before the end of the results at 30 of 40" in first.stopped
        and not first.done
    )
    assert rerun.stopped is None and rerun.done and (rerun.entries, rerun.next_start) == (0, 30)
    assert rerun_starts[asked_first:] == ["30"] * 4  # asked again as often as by the first run: no glitch lasts
    said = [record.getMessage() for record in caplog.records if "still empty" in record.getMessage()]
    assert len(said) == 1 and "30" in said[0] and "\n" not in said[0], said


@pytest.mark.asyncio
async def test_a_total_above_nothing_at_all_does_not_stop_every_rerun_at_the_first_page(
    settings: Settings, database: Database, caplog: pytest.LogCaptureFixture
) -> None:
    """The same with no results at all: every answer for the window said 5 results and held none. Each run stopped at
    its first page, for ever; a rerun now takes that page for the end too, after asking it as often."""
    said_five = EMPTY.replace(b"<opensearch:totalResults>0<", b"<opensearch:totalResults>5<")
    assert said_five != EMPTY
    empty = Reply(body=said_five, content_type="application/atom+xml; charset=utf-8")
    async with ArxivServer() as server:
        url = server.program("/api/query", empty)
        api_settings = make_settings(settings.data_dir, f'[arxiv]\napi_url = "{url}"\n')
        first = await backfill(api_settings, database, date(2026, 4, 1), page_size=10, clock=FakeClock())
        caplog.clear()
        rerun = await backfill(api_settings, database, date(2026, 4, 1), page_size=10, clock=FakeClock())
    assert first.stopped is not None and not first.done
    assert rerun.stopped is None and rerun.done and rerun.next_start == 0
    assert len(server.requests_to("/api/query")) == 8
    assert any("still empty" in record.getMessage() for record in caplog.records)
