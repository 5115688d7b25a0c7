"""A paper fetched while a person waits (`digest add`, /review's "Add and approve"; /suggest and Discord's /add take
the same fetch) from an arXiv that answers 429 or 503: a short wait is waited, a longer one said at once with the time
to try again, and kept for every process. arXiv is a loopback server; the site and the command are the real ones."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from digest.service.wiring import open_service_database
from tests.add_command import API_PATH, HEAT_BATH, add, one_line, recorded, state, trimmed, waits_said
from tests.arxiv_server import ArxivServer, Reply
from tests.conftest import make_settings
from tests.review_add import NEW_PAPER, arxiv_config, counts
from tests.review_add import add as add_on_the_page
from tests.web_server import running_site, sign_in, site_settings

REFUSAL = Reply(status=429, body=b"Rate exceeded.", content_type="text/plain", retry_after="120")


def test_digest_add_says_a_long_wait_at_once_with_the_time(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """arXiv answering 429 with Retry-After: 120 kept `digest add` (and /suggest, /review's add, Discord's /add) waiting
    two minutes, then again after each of its retries, a person waiting all along. A wait longer than a few seconds is
    said at once, with the time to try again, and kept: the next add asks nothing before then."""
    open_service_database(make_settings(data_dir)).dispose()  # a used folder: seeded with the bundled list
    before = state(data_dir)
    since, started = datetime.now(UTC), time.monotonic()
    status, requests = add(data_dir, "1605.08386", reply=REFUSAL, retries=True)
    took, until = time.monotonic() - started, datetime.now(UTC)
    line = one_line(capsys)
    assert status == 1 and len(requests) == 1 and took < 20, (took, line)
    assert "could not fetch 1605.08386 from arXiv" in line, line
    assert any(words in line for words in waits_said(120, 429, since, until)), line
    assert "nothing was added" in line and "attempt" not in line, line  # no retry waited for
    assert state(data_dir) == before

    status, requests = add(data_dir, "1605.08386", reply=recorded(HEAT_BATH), retries=True)
    assert status == 1 and requests == []  # arXiv's wait holds for the next add too
    assert "arXiv asks to wait until" in one_line(capsys)
    assert state(data_dir) == before


@pytest.mark.parametrize("refused", [429, 503])
def test_a_second_add_within_the_wait_says_it_as_the_first_did(
    data_dir: Path, capsys: pytest.CaptureFixture[str], refused: int
) -> None:
    """A second `digest add` while arXiv's Retry-After still ran said "http://127.0.0.1:PORT/api/query?id_list=...:
    127.0.0.1 asked to be left alone until 2026-12-06 05:03:11 UTC (Retry-After); not asked before then", the API query
    in front, where the first add had said "arXiv asks to wait until 05:04 UTC (429); try again then". It says the
    second the way the first did, the same minute, no query."""
    open_service_database(make_settings(data_dir)).dispose()
    before = state(data_dir)
    reply = Reply(status=refused, body=b"busy", content_type="text/plain", retry_after="120")
    since = datetime.now(UTC)
    assert add(data_dir, "1605.08386", reply=reply, retries=True)[0] == 1
    until = datetime.now(UTC)
    first = one_line(capsys)
    status, requests = add(data_dir, "1605.08386", reply=recorded(HEAT_BATH), retries=True)
    second = one_line(capsys)
    assert status == 1 and requests == [] and state(data_dir) == before, second
    said = {words.replace(f"({refused})", "(Retry-After)") for words in waits_said(120, refused, since, until)}
    assert any(f"digest: could not fetch 1605.08386 from arXiv: {words} (nothing was added)\n" == second
               for words in said), (first, second)  # fmt: skip
    assert first.replace(f"({refused})", "(Retry-After)") == second, (first, second)


@pytest.mark.asyncio
async def test_add_and_approve_says_a_long_wait_at_once_with_the_time(tmp_path: Path) -> None:
    """With the default retries, arXiv's 429 with Retry-After: 120 held the "Add and approve" page two minutes and
    more (a proxy gives up at 60 s). A wait longer than a few seconds is said at once, with the time to try again."""
    async with ArxivServer() as arxiv:
        config = arxiv_config(arxiv, retries=True)
        async with running_site(site_settings(tmp_path / "data", config)) as site:
            arxiv.program(API_PATH, REFUSAL)
            _, csrf = await sign_in(site)
            before = counts(site)
            since, started = datetime.now(UTC), time.monotonic()
            status, body = await add_on_the_page(site, csrf, "2511.16674")
            took, until = time.monotonic() - started, datetime.now(UTC)
            assert status == 502 and took < 20 and len(arxiv.requests) == 1, (status, took, arxiv.requests)
            assert body.count('class="error"') == 1 and counts(site) == before
            assert any(words in body for words in waits_said(120, 429, since, until)), body


@pytest.mark.asyncio
async def test_a_short_wait_is_waited_and_the_paper_added(tmp_path: Path) -> None:
    """A 503 whose wait is a few seconds (its Retry-After, the first back-off) is waited, and arXiv asked again."""
    busy = Reply(status=503, body=b"busy", content_type="text/plain", retry_after="1")
    async with ArxivServer() as arxiv, running_site(site_settings(tmp_path / "d", arxiv_config(arxiv, True))) as site:
        arxiv.program(API_PATH, busy, trimmed(NEW_PAPER, "2511.16674"))
        _, csrf = await sign_in(site)
        status, body = await add_on_the_page(site, csrf, "2511.16674")
        assert status == 200 and len(arxiv.requests) == 2, body
        assert "2511.16674" in body and "approved into" in body


def test_a_back_off_longer_than_a_few_seconds_is_said_not_waited(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """503 twice, no Retry-After: the first back-off (5 s) is waited, the next (10 s) is said at once; and the next add,
    within that back-off, says when it ends instead of sitting through it (up to 10 minutes after a poll's refusals)."""
    open_service_database(make_settings(data_dir)).dispose()
    before = state(data_dir)
    busy = Reply(status=503, body=b"busy", content_type="text/plain")
    since, started = datetime.now(UTC), time.monotonic()
    status, requests = add(data_dir, "1605.08386", reply=busy, retries=True)
    took, until = time.monotonic() - started, datetime.now(UTC)
    line = one_line(capsys)
    assert status == 1 and len(requests) == 2 and took < 20, (took, line)
    assert any(words in line for words in waits_said(10, 503, since, until)), line

    status, requests = add(data_dir, "1605.08386", reply=recorded(HEAT_BATH), retries=True)
    line = one_line(capsys)
    assert status == 1 and requests == [], line
    assert line.startswith("digest: could not fetch 1605.08386 from arXiv: not asked before "), line  # no API query
    assert line.endswith(", the back-off after 127.0.0.1 refused a request (429 or 5xx); try again then (nothing was"
                         " added)\n"), line  # fmt: skip
    assert state(data_dir) == before
