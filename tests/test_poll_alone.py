"""Two polls over one data folder (`digest poll` by hand while another, or the service, polls): the second refuses in
one line naming the running one and asks arXiv nothing; a killed poll blocks no later one."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from digest import health
from digest.arxiv import poller
from digest.arxiv.poll_lock import polling_alone
from digest.cli import main
from digest.service.process import Service
from digest.service.wiring import open_service_database
from digest.storage.db import open_database
from digest.storage.state import PollRun
from digest.web.pages import health_report
from tests.arxiv_server import ARXIV_DATA, ArxivServer, Reply
from tests.conftest import make_settings
from tests.processes import Spawned, Started
from tests.service_runs import one_feed_config, poll_runs, wait_settled

ROOT = Path(__file__).resolve().parent.parent


async def _start_poll(
    started: Started, tmp_path: Path, name: str, *sources: str
) -> tuple[asyncio.subprocess.Process, Path]:
    config = tmp_path / "config.toml"
    config.write_text(
        '[arxiv]\nsources = ["http://127.0.0.1:9/unused"]\nmin_interval_seconds = 0\ntimeout_seconds = 300\n'
        'api_url = "http://127.0.0.1:9/api/query"\nmax_retries = 0\n',
        encoding="utf-8",
    )
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("DIGEST_", "DISCORD_", "SMTP_"))}
    environment["PYTHONPATH"] = str(ROOT)
    command = [sys.executable, "-m", "digest", "--config", str(config), "--data-dir", str(tmp_path / "data"), "poll"]
    log = tmp_path / f"{name}.log"
    with log.open("wb") as output:
        poll = await asyncio.create_subprocess_exec(
            *command, "--source", *sources, cwd=tmp_path, env=environment, stderr=output, stdout=output
        )
    return started.add(poll), log


async def _until_asked(arxiv: ArxivServer, path: str, poll: asyncio.subprocess.Process, log: Path) -> None:
    deadline = time.monotonic() + 120
    while not arxiv.requests_to(path):
        assert poll.returncode is None, log.read_text(encoding="utf-8")
        assert time.monotonic() < deadline, "the poll did not ask the source"
        await asyncio.sleep(0.1)


@pytest.mark.asyncio
async def test_a_second_digest_poll_refuses_while_one_polls(tmp_path: Path, started: Started) -> None:
    """Both passes ran: the second waited for the first's request in flight, then polled its sources too."""
    async with ArxivServer() as arxiv:
        slow = arxiv.program("/rss/cs.LG", Reply(body=b"", delay_seconds=90))
        other = arxiv.program("/rss/cs.CV", Reply(body=b""))
        first, first_log = await _start_poll(started, tmp_path, "first", slow)
        try:
            await _until_asked(arxiv, "/rss/cs.LG", first, first_log)
            second, second_log = await _start_poll(started, tmp_path, "second", other)
            status = await asyncio.wait_for(second.wait(), 120)
            said = second_log.read_text(encoding="utf-8")
        finally:
            if first.returncode is None:
                first.kill()
                await first.wait()
    assert not arxiv.requests_to("/rss/cs.CV"), said
    assert status == 1, said
    assert "Traceback" not in said
    assert len(said.strip().splitlines()) == 1, said
    assert f"digest poll (pid {first.pid})" in said and "is polling this data folder" in said, said


@pytest.mark.asyncio
async def test_a_killed_poll_does_not_block_the_next_which_says_it_was_interrupted(
    tmp_path: Path, started: Started
) -> None:
    """The killed poll's run stayed "running" (only a service's start settled such a row): the next poll, holding the
    poll lock, marks it interrupted as it starts and says so in a line."""
    async with ArxivServer() as arxiv:
        slow = arxiv.program("/rss/cs.LG", Reply(body=b"", delay_seconds=30))
        other = arxiv.program("/rss/cs.CV", Reply(body=b""))
        first, first_log = await _start_poll(started, tmp_path, "first", slow)
        try:
            await _until_asked(arxiv, "/rss/cs.LG", first, first_log)
        finally:
            first.send_signal(signal.SIGKILL)
            await first.wait()
        second, second_log = await _start_poll(started, tmp_path, "second", other)
        await asyncio.wait_for(second.wait(), 120)
    said = second_log.read_text(encoding="utf-8")
    assert arxiv.requests_to("/rss/cs.CV"), said
    runs = _runs(tmp_path / "data")
    assert [outcome for outcome, _, _ in runs][:1] == ["interrupted"] and len(runs) == 2, runs  # then the second's
    killed_at = runs[0][1]
    assert f"poll: the poll started at {killed_at:%Y-%m-%d %H:%M} UTC was interrupted (its process stopped)" in said
    assert runs[0][2] is None  # when it stopped is not known: no end is made up


def _runs(data_dir: Path) -> list[tuple[str, datetime, datetime | None]]:
    """Each poll run's outcome, start and end, oldest first."""
    database = open_database(make_settings(data_dir).database_url)
    try:
        with database.reading() as session:
            rows = session.scalars(select(PollRun).order_by(PollRun.id)).all()
            return [(run.outcome, run.started_at, run.finished_at) for run in rows]
    finally:
        database.dispose()


def test_a_poll_settles_a_run_a_live_process_left_running(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], spawned: Spawned
) -> None:
    """A service whose poll lost its database lives on, its run's row "running" and naming it (pid, boot, start all
    true): the rows cannot tell that it no longer polls, but the poll lock can. `digest poll` holding it settles the
    row as interrupted instead of leaving it "running" for ever."""
    data_dir = tmp_path / "data"
    database = open_service_database(make_settings(data_dir))
    service = spawned.add(  # that service: a live process of this host, polling nothing
        subprocess.Popen(
            [sys.executable, "-c", RECORD_SELF, str(data_dir.resolve())], stdout=subprocess.PIPE, env=_python_path()
        )
    )
    assert service.stdout is not None
    process = json.loads(service.stdout.readline())
    with database.transaction() as session:
        session.add(PollRun(started_at=datetime.now(UTC), outcome="running", summary={"process": process}))
    database.dispose()
    feed = ARXIV_DATA / "rss/rss_cs.CL_2026-04-27_trimmed-3items.xml"
    status = main(["--data-dir", str(data_dir), "poll", "--source", str(feed)])
    assert service.poll() is None  # alive all along
    said = capsys.readouterr().err
    assert status == 0, said
    assert [outcome for outcome, _, _ in _runs(data_dir)] == ["interrupted", "ok"]
    assert "was interrupted (its process stopped)" in said, said


RECORD_SELF = (
    "import json, sys, time\n"
    "from digest.arxiv.run_process import this_process\n"
    "print(json.dumps(this_process(sys.argv[1])), flush=True)\n"
    "time.sleep(120)\n"
)


def _python_path() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT)}


def test_digest_poll_on_a_data_folder_that_is_a_file_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The poll lock was taken before the data folder was checked: "digest: …: File exists" instead of the line that
    says the data folder is a file and what to give."""
    data = tmp_path / "data"
    data.write_text("", encoding="utf-8")
    assert main(["--data-dir", str(data), "poll", "--source", str(tmp_path / "none.xml")]) == 2  # a settings problem
    error = capsys.readouterr().err
    assert "is a file, not a folder" in error and error.count("\n") == 1, error


@pytest.mark.asyncio
async def test_the_services_poll_skips_while_digest_poll_polls(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Guard: the service's scheduled poll takes the same lock as `digest poll` and skips with one log line."""

    async with ArxivServer() as arxiv:
        settings = make_settings(tmp_path / "data", one_feed_config(arxiv))
        service = Service(settings)
        await service.start(serve_web=False)
        try:
            await wait_settled(service)
            asked = len(arxiv.requests_to("/rss/cs.CL"))
            with (
                polling_alone(settings.data_dir, "digest poll", datetime.now(UTC)),
                caplog.at_level(logging.WARNING, logger="digest.service"),
            ):
                assert await service.poll("schedule") == "failed"
        finally:
            await service.stop()
    assert poll_runs(settings) == 1 and len(arxiv.requests_to("/rss/cs.CL")) == asked
    assert f"not polling: digest poll (pid {os.getpid()})" in caplog.text, caplog.text


@pytest.mark.asyncio
async def test_a_scheduled_poll_skipped_for_digest_poll_leaves_healthz_to_that_polls_outcome(tmp_path: Path) -> None:
    """The scheduled poll skipped while `digest poll` polled marked the poll failed on /healthz (503 "degraded") until
    the next scheduled poll, a day later, though the poll that ran went fine. The skip is now a fine state that names
    the running poll; /healthz's verdict on polling is that poll's own outcome (`last_poll`)."""
    health.forget()
    async with ArxivServer() as arxiv:
        settings = make_settings(tmp_path / "data", one_feed_config(arxiv))
        service = Service(settings)
        await service.start(serve_web=False)
        try:
            await wait_settled(service)
            with polling_alone(settings.data_dir, "digest poll", datetime.now(UTC)):
                await service.poll("schedule")
            assert service.database is not None
            with service.database.reading() as session:  # what /healthz answers
                report = health_report(session, datetime.now(UTC), poller.sources_spoken_for(settings))
        finally:
            await service.stop()
            health.forget()
    assert report["status"] == "ok", report["problems"]
    poll = next(part for part in report["components"] if part["name"] == "poll")
    assert f"digest poll (pid {os.getpid()})" in poll["message"] and "skipped" in poll["message"], poll
