"""/healthz is honest: a failed or hung poll, or a part of the service that reported a failure (Discord, background
work), makes it say "degraded" with what failed, in one line each, and answer 503; what it said before stays."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from digest import health
from digest.storage.state import PollRun
from tests.conftest import fill_disk, mounted_tmpfs
from tests.web_server import Site, running_site, site_settings


@pytest.fixture(autouse=True)
def no_reports() -> Iterator[None]:
    """The registry is per process: no report from another test may leak into these, or out of them."""
    health.forget()
    yield
    health.forget()


def add_run(site: Site, *, started_ago: timedelta, outcome: str, finished: bool, summary: Any = None) -> None:
    started = site.clock.now - started_ago
    with site.database.transaction() as session:
        session.add(
            PollRun(
                started_at=started,
                finished_at=started + timedelta(seconds=40) if finished else None,
                outcome=outcome,
                summary=summary or {},
            )
        )


async def healthz(site: Site) -> tuple[int, dict[str, Any]]:
    async with site.client.get("/healthz") as response:
        assert response.headers["Cache-Control"] == "no-store"
        return response.status, await response.json()


@pytest.mark.asyncio
async def test_all_well_is_200_ok_with_every_part_listed(site: Site) -> None:
    health.report("poll", True, "last poll ok: 4 sources")
    health.report("discord", True, "connected")
    add_run(site, started_ago=timedelta(hours=3), outcome="partial", finished=True)
    status, report = await healthz(site)
    assert status == 200
    assert report["status"] == "ok" and report["database"] == "reachable" and report["problems"] == []
    assert report["last_poll"]["outcome"] == "partial"
    assert [(part["name"], part["ok"], part["message"]) for part in report["components"]] == [
        ("discord", True, "connected"),
        ("poll", True, "last poll ok: 4 sources"),
    ]
    assert all(part["since"].endswith("+00:00") for part in report["components"])


@pytest.mark.asyncio
async def test_a_failed_last_poll_is_degraded_and_503_naming_the_source(site: Site) -> None:
    add_run(site, started_ago=timedelta(days=2), outcome="ok", finished=True)
    summary = {"sources": [{"source": "https://rss.arxiv.org/rss/cs.CV", "outcome": "error", "message": "HTTP 502"}]}
    add_run(site, started_ago=timedelta(hours=2), outcome="failed", finished=True, summary=summary)
    status, report = await healthz(site)
    assert status == 503
    assert report["status"] == "degraded"
    assert report["last_poll"]["outcome"] == "failed"
    [problem] = report["problems"]
    assert problem.startswith("poll: the last run") and "failed" in problem
    assert "https://rss.arxiv.org/rss/cs.CV: HTTP 502" in problem


@pytest.mark.asyncio
async def test_a_failed_digest_poll_of_a_saved_file_says_nothing_of_the_configured_feeds(site: Site) -> None:
    """`digest poll --source ~/saved.xml` trying a file that would not read made /healthz 503 "degraded" (the poll
    failed: ~/saved.xml) until the next scheduled poll, days away over a weekend, though the feeds the service polls
    were fine: the latest run that asked a configured source speaks for them, as it does for the service's start."""
    fine = {"sources": [{"source": "https://rss.arxiv.org/rss/cs.CV", "outcome": "fetched", "message": ""}]}
    add_run(site, started_ago=timedelta(hours=5), outcome="ok", finished=True, summary=fine)
    tried = {"sources": [{"source": "/home/maintainer/saved.xml", "outcome": "error", "message": "cannot read"}]}
    add_run(site, started_ago=timedelta(minutes=5), outcome="failed", finished=True, summary=tried)
    status, report = await healthz(site)
    assert (status, report["status"], report["problems"]) == (200, "ok", [])
    assert report["last_poll"]["outcome"] == "ok"
    failed = {"sources": [{"source": "https://rss.arxiv.org/rss/cs.CV", "outcome": "error", "message": "HTTP 502"}]}
    add_run(site, started_ago=timedelta(minutes=1), outcome="failed", finished=True, summary=failed)
    status, report = await healthz(site)
    assert status == 503 and "https://rss.arxiv.org/rss/cs.CV: HTTP 502" in report["problems"][0]


@pytest.mark.asyncio
async def test_a_poll_left_running_by_a_dead_process_is_degraded_but_a_fresh_one_is_not(site: Site) -> None:
    add_run(site, started_ago=timedelta(minutes=2), outcome="running", finished=False)
    status, report = await healthz(site)
    assert (status, report["status"], report["problems"]) == (200, "ok", [])
    site.clock.advance(timedelta(hours=2))
    status, report = await healthz(site)
    assert status == 503 and report["status"] == "degraded"
    assert report["problems"][0].startswith("poll: the run started at") and "still 'running'" in report["problems"][0]


@pytest.mark.asyncio
@pytest.mark.parametrize("part", ["poll", "discord", "background"])
async def test_a_part_that_reports_a_failure_makes_it_degraded_until_it_recovers(site: Site, part: str) -> None:
    add_run(site, started_ago=timedelta(hours=1), outcome="ok", finished=True)
    health.report("discord" if part != "discord" else "poll", True, "fine")
    health.report(part, False, f"{part} failed:\n  RuntimeError boom")
    status, report = await healthz(site)
    assert status == 503
    assert report["status"] == "degraded"
    assert report["problems"] == [f"{part}: {part} failed: RuntimeError boom"]
    [failing] = [entry for entry in report["components"] if not entry["ok"]]
    assert failing["name"] == part and failing["message"] == f"{part} failed: RuntimeError boom"
    health.report(part, True, "recovered")
    status, report = await healthz(site)
    assert (status, report["status"], report["problems"]) == (200, "ok", [])


@pytest.mark.asyncio
async def test_a_disk_running_out_of_room_is_degraded_naming_it_until_room_is_made(tmp_path: Path) -> None:
    """With the data folder's disk full, a poll, a decision on the review page and the weekly digest each failed on
    their own ("the database could not be written: database or disk is full"), while /healthz, which a monitor and
    the container's health check ask, said 200 "ok": nobody was told until a maintainer's click failed."""
    with mounted_tmpfs(tmp_path / "disk", "40m") as disk:
        async with running_site(site_settings(disk / "data")) as site:
            add_run(site, started_ago=timedelta(hours=1), outcome="ok", finished=True)
            status, report = await healthz(site)
            assert (status, report["status"], report["problems"]) == (200, "ok", [])
            fill_disk(disk, leave=512 * 1024)
            status, report = await healthz(site)
            assert (status, report["status"]) == (503, "degraded")
            [problem] = report["problems"]
            assert problem.startswith(f"disk: the disk holding {disk / 'data'} has "), problem
            assert "free some room there" in problem
            (disk / "filler").unlink()
            status, report = await healthz(site)
            assert (status, report["status"], report["problems"]) == (200, "ok", [])
