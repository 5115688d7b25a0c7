"""A `digest backfill` that stops before the end: told to (SIGTERM, Ctrl-C) or by arXiv (a 429, a 503, an HTML error
page). One line says where it got and how to go on. Real recorded API pages on a loopback arXiv, the real command in
its own process, a real SQLite file."""

from __future__ import annotations

import asyncio
import signal
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.arxiv_server import ARXIV_DATA, ArxivServer, Reply
from tests.backfilling import signal_heard, start_backfill
from tests.processes import Started


def _page(name: str) -> Reply:
    """A recorded page of ten papers, its total cut to thirty: three pages in all."""
    body = (ARXIV_DATA / "api" / f"api_new_arxiv.py_q_testing_{name}_http200.xml").read_bytes()
    body = body.replace(b"<opensearch:totalResults>214881<", b"<opensearch:totalResults>30<")
    return Reply(body=body, content_type="application/atom+xml; charset=utf-8")


def _config(tmp_path: Path, url: str) -> Path:
    config = tmp_path / "config.toml"
    config.write_text(
        f'[arxiv]\nsources = ["http://127.0.0.1:9/rss/cs.CL"]\napi_url = "{url}"\nmin_interval_seconds = 0\n'
        "max_retries = 0\n",
        encoding="utf-8",
    )
    return config


def _starts(arxiv: ArxivServer) -> list[str]:
    return [request.query.split("&start=")[1].split("&")[0] for request in arxiv.requests_to("/api/query")]


@pytest.mark.asyncio
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
async def test_a_backfill_told_to_stop_says_where_it_got_and_how_to_resume(
    tmp_path: Path, signum: int, started: Started
) -> None:
    """`kill -TERM` ended `digest backfill` with no output at all, and Ctrl-C printed only "digest: interrupted":
    neither said where it stopped, nor that running it again goes on from there. The page in hand is stored, and one
    line says how far it got and the command that resumes it (exit 130, as an interrupted `digest poll`)."""
    second_page = asyncio.Event()
    asked_second = Reply(**{**vars(_page("s10_m10_34e56e15aaac")), "before_answer": second_page.wait})
    async with ArxivServer() as arxiv:
        url = arxiv.program("/api/query", _page("s0_m10_bc5a6c384fe9"), asked_second)
        config = _config(tmp_path, url)
        running, log = await start_backfill(started, tmp_path, config, "stopped")
        try:
            deadline = time.monotonic() + 120
            while len(arxiv.requests_to("/api/query")) < 2:
                assert running.returncode is None, log.read_text(encoding="utf-8")
                assert time.monotonic() < deadline, "the backfill did not ask for its second page"
                await asyncio.sleep(0.1)
            running.send_signal(signum)
            await signal_heard(running, signum)  # the stop is heard first; the page in flight is answered, and stored
            second_page.set()
            status = await asyncio.wait_for(running.wait(), 60)
        finally:
            if running.returncode is None:
                running.kill()
                await running.wait()
        said = log.read_text(encoding="utf-8")
        asked = _starts(arxiv)
        arxiv.program("/api/query", _page("s20_m10_348a237fecab"))
        again, again_log = await start_backfill(started, tmp_path, config, "again")
        assert await asyncio.wait_for(again.wait(), 120) == 0, again_log.read_text(encoding="utf-8")
        asked_again = _starts(arxiv)[len(asked) :]
    month = f"{datetime.now(UTC):%Y-%m}"
    assert status == 130, said
    assert "Traceback" not in said and "WARNING" not in said and asked == ["0", "10"], said
    last = said.splitlines()[-1]
    assert last.startswith(f"digest: interrupted: backfill stopped at 20 of 30 in {month}-01 to "), said
    assert "20 papers read" in last, last
    assert last.endswith(f"backfill --since {month}-01 --page-size 10` resumes it there"), last
    assert asked_again == ["20"]
    assert "backfill done: 10 papers read" in again_log.read_text(encoding="utf-8")


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("refusal", "retries", "why"),
    [
        (Reply(status=429, retry_after="3600"), 1, "HTTP 429, asked to retry after 3600 s; giving up for now"),
        (Reply(status=503), 0, "HTTP 503 after 1 attempt"),
        (
            Reply(body=b"<html><body><h1>Service down</h1></body></html>", content_type="text/html"),
            0,
            "an HTML page, not a feed",
        ),
    ],
)
async def test_a_backfill_arxiv_refused_says_why_once_without_the_query_url(
    tmp_path: Path, refusal: Reply, retries: int, why: str, started: Started
) -> None:
    """After a 429, a 503 or an HTML error page the whole percent-encoded query URL (some 250 characters) was printed
    in the log's warning and again in the command's last line. The page asked for (its month and place), what arXiv
    answered and when to run it again are said once, in words; the URL is left to the log at DEBUG."""
    async with ArxivServer() as arxiv:
        url = arxiv.program("/api/query", _page("s0_m10_bc5a6c384fe9"), refusal)
        config = _config(tmp_path, url)
        config.write_text(config.read_text(encoding="utf-8").replace("max_retries = 0", f"max_retries = {retries}"))
        running, log = await start_backfill(started, tmp_path, config, "refused")
        status = await asyncio.wait_for(running.wait(), 120)
    said = log.read_text(encoding="utf-8")
    month = f"{datetime.now(UTC):%Y-%m}"
    assert status == 1, said
    assert "search_query" not in said and "%3A" not in said, said
    [line] = [line for line in said.splitlines() if why in line]
    assert line.startswith(f"backfill stopped at 10 of 30 in {month}-01 to "), said
    resume = "run the same command again after " if refusal.retry_after else "run the same command again to resume"
    assert f"{why}; {resume}" in line, line
    assert line.endswith(" UTC to resume") if refusal.retry_after else line.endswith(resume), line
    assert "backfill stopped at 10 of 30" in said.split(line)[0], said  # the summary says where, not why again
