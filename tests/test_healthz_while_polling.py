"""/healthz asked again and again (a monitor every few seconds) while `digest poll` starts and polls: the poll is never
refused for it. /healthz took the data folder's poll lock for an instant to tell whether a poll ran; a poll starting
in that instant found it held and refused "... is polling this data folder; nothing was polled"."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import pytest

from digest.arxiv.poll_pass import run_poll
from tests.arxiv_server import ArxivServer
from tests.conftest import make_settings
from tests.processes import Started
from tests.web_server import SECRETS_ENV, Site, running_site

ROOT = Path(__file__).resolve().parent.parent
FEED = "rss/rss_cs.CL_2026-04-27_trimmed-3items.xml"


def _config(feed: str) -> str:
    return f'[arxiv]\nsources = ["{feed}"]\nmin_interval_seconds = 0\napi_url = "http://127.0.0.1:9/api/query"\n'


async def _digest_poll(started: Started, tmp_path: Path, config: Path, name: str) -> tuple[int, str]:
    """`digest poll` of the configured source in a child process, as cron runs it: its status and what it said."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("DIGEST_", "DISCORD_", "SMTP_"))}
    environment["PYTHONPATH"] = str(ROOT)
    command = [sys.executable, "-m", "digest", "--config", str(config), "--data-dir", str(tmp_path / "data"), "poll"]
    log = tmp_path / f"{name}.log"
    with log.open("wb") as output:
        poll = started.add(
            await asyncio.create_subprocess_exec(*command, cwd=tmp_path, env=environment, stdout=output, stderr=output)
        )
    status = await asyncio.wait_for(poll.wait(), 120)
    return status, log.read_text(encoding="utf-8")


async def _ask_healthz(site: Site, done: asyncio.Event, answers: list[dict[str, object]]) -> None:
    while not done.is_set():
        async with site.client.get("/healthz") as response:
            answers.append(await response.json())


@pytest.mark.asyncio
async def test_healthz_asked_while_digest_poll_starts_never_makes_it_refuse(tmp_path: Path, started: Started) -> None:
    async with ArxivServer() as arxiv:
        feed = arxiv.serve_file("/rss/cs.CL", FEED, today=True)
        settings = make_settings(tmp_path / "data", _config(feed), SECRETS_ENV)
        assert settings.config_path is not None
        async with running_site(settings) as site:
            done, answers = asyncio.Event(), list[dict[str, object]]()
            askers = [asyncio.create_task(_ask_healthz(site, done, answers)) for _ in range(2)]
            try:
                first = await _digest_poll(started, tmp_path, settings.config_path, "first")
                asked_during_first = len(answers)
                second = await _digest_poll(started, tmp_path, settings.config_path, "second")
            finally:
                done.set()
                await asyncio.gather(*askers)
    for status, said in (first, second):
        assert "nothing was polled" not in said and "is polling this data folder" not in said, said
        assert status == 0 and "poll ok" in said, said
    assert asked_during_first and len(answers) > asked_during_first  # /healthz was asked while each poll ran
    assert not [a for a in answers if "never finished" in str(a["problems"])], answers


@pytest.mark.asyncio
async def test_healthz_during_the_services_own_poll_calls_its_run_running_not_unfinished(tmp_path: Path) -> None:
    """The service polling in-process: its run's row names this very process, and /healthz, which no longer asks the
    poll lock, tells it is under way from this process's polls in progress."""
    answered = asyncio.Event()
    async with ArxivServer() as arxiv:
        feed = arxiv.serve_file("/rss/cs.CL", FEED, today=True, before_answer=answered.wait)
        settings = make_settings(tmp_path / "data", _config(feed), SECRETS_ENV)
        async with running_site(settings) as site:
            poll = asyncio.create_task(run_poll(settings, site.database))
            try:
                while not arxiv.requests_to("/rss/cs.CL"):  # the poll's run is "running", its request in flight
                    assert not poll.done(), poll
                    await asyncio.sleep(0.05)
                async with site.client.get("/healthz") as response:
                    during = await response.json()
            finally:
                answered.set()
            summary = await poll
    assert summary.outcome == "ok", summary
    assert during["last_poll"]["outcome"] == "running", during
    assert not [problem for problem in during["problems"] if "never finished" in problem], during
