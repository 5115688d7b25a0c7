"""`digest run` told to stop (Ctrl-C, SIGTERM, a closed terminal's SIGHUP) at each stage of its start-up: one line,
nothing half-done, and a stop that lets the work in flight end as SIGTERM's does."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.arxiv_server import ArxivServer, Reply
from tests.service_runs import assert_stopped_cleanly, spawned_service, started_service

ROOT = Path(__file__).resolve().parent.parent
# The `digest` script's own lines, with Ctrl-C pressed at the moment `module` is first imported (still loading Python's
# and the project's modules, or building the parser: a second or more on a busy machine).
INTERRUPTED_AT_IMPORT = """
import importlib.abc, os, signal, sys
signal.signal(signal.SIGINT, signal.default_int_handler)  # as a terminal's Ctrl-C reaches a foreground command

WHEN = sys.argv.pop(1)

class CtrlC(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name == WHEN:
            sys.meta_path.remove(self)
            os.kill(os.getpid(), signal.SIGINT)
        return None

sys.meta_path.insert(0, CtrlC())
from digest.cli import console
console()
"""


@pytest.mark.parametrize("module", ["digest.cli.program", "argparse", "digest.cli.run"])
def test_ctrl_c_while_digest_is_still_loading_is_one_line_not_a_traceback(tmp_path: Path, module: str) -> None:
    """Ctrl-C pressed in the first second of `digest run` (the wrong data folder typed, say) printed a Python
    traceback of forty lines through argparse or importlib; Ctrl-C a moment later said "digest: interrupted". Both
    now say that one line, with exit status 130, and nothing was made."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("DIGEST_", "DISCORD_", "SMTP_"))}
    environment["PYTHONPATH"] = str(ROOT)
    command = [sys.executable, "-c", INTERRUPTED_AT_IMPORT, module, "--data-dir", str(tmp_path / "data"), "run"]
    done = subprocess.run(command, cwd=tmp_path, env=environment, capture_output=True, text=True, timeout=60)
    assert done.stderr == "digest: interrupted\n", done.stderr
    assert done.returncode == 130
    assert not (tmp_path / "data").exists()


def test_a_closed_terminal_stops_the_service_as_sigterm_does(tmp_path: Path) -> None:
    """`digest run` in a terminal or an ssh session that closed (SIGHUP) died on the spot: no "stopped" in its log, and
    a poll or a weekly send in flight was cut off where SIGTERM lets it end. SIGHUP now stops it as SIGTERM does."""
    with started_service(tmp_path, "http://127.0.0.1:9/unused") as (service, log):
        service.send_signal(signal.SIGHUP)
        status = service.wait(timeout=60)
    assert_stopped_cleanly(status, log)


@pytest.mark.asyncio
async def test_sigterm_during_run_once_ends_the_poll_as_the_service_does(tmp_path: Path) -> None:
    """`digest run --once` (cron, a one-shot container) had no signal handling: SIGTERM (docker stop, a cron job's
    time-out) killed it mid-poll with no "stopped" and the run left "running". It now stops as `digest run` and
    `digest poll` do: no further source is asked, the run is recorded as interrupted, its outcome line and one line
    saying it stopped say so, exit 130."""
    async with ArxivServer() as arxiv:
        fast = arxiv.serve_file("/rss/cs.CL", "rss/rss_cs.CL_2026-04-27_trimmed-3items.xml")
        slow = arxiv.program("/rss/cs.LG", Reply(body=b"", delay_seconds=120))  # arXiv hangs on the second
        config = tmp_path / "config.toml"
        config.write_text(
            f'[arxiv]\nsources = ["{fast}", "{slow}"]\nmin_interval_seconds = 0\n'
            'api_url = "http://127.0.0.1:9/api/query"\nmax_retries = 0\n',
            encoding="utf-8",
        )
        environment = {k: v for k, v in os.environ.items() if not k.startswith(("DIGEST_", "DISCORD_", "SMTP_"))}
        environment["PYTHONPATH"] = str(ROOT)
        data = tmp_path / "data"
        command = [sys.executable, "-m", "digest", "--config", str(config), "--data-dir", str(data), "run", "--once"]
        log = tmp_path / "once.log"
        with log.open("wb") as output:
            once = await asyncio.create_subprocess_exec(*command, cwd=tmp_path, env=environment, stderr=output)
        try:
            deadline = time.monotonic() + 120
            while not arxiv.requests_to("/rss/cs.LG"):
                assert once.returncode is None, log.read_text(encoding="utf-8")
                assert time.monotonic() < deadline, "the poll did not reach the second source"
                await asyncio.sleep(0.1)
            once.send_signal(signal.SIGTERM)
            status = await asyncio.wait_for(once.wait(), 60)
        finally:
            if once.returncode is None:
                once.kill()
                await once.wait()
    said = log.read_text(encoding="utf-8")
    assert status == 130, said
    assert "Traceback" not in said
    assert said.splitlines()[-1].startswith("digest: interrupted"), said
    # For cron: the poll's outcome line (it ends itself within the stop's grace and its wind-down) and the line above
    # saying it stopped, not the service's start-up and stop.
    shown = [line.split(" INFO ", 1)[1].strip() for line in said.splitlines() if " INFO " in line]
    assert shown == ["digest.service: poll: interrupted: 1 source (1 fetched), 0 new candidates"], said
    with sqlite3.connect(f"file:{data / 'digest.sqlite3'}?mode=ro", uri=True) as connection:
        assert connection.execute("SELECT outcome FROM poll_runs").fetchall() == [("interrupted",)]


def _build_child_of(pid: int) -> int | None:
    """The pid of the child process building the relevance model for the process `pid`, if one runs."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            command = (entry / "cmdline").read_bytes().split(b"\0")
            parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        if parent == pid and b"digest.relevance.build" in command:
            return int(entry.name)
    return None


def test_sigterm_to_the_service_and_its_model_build_stops_both_without_building_it_again_in_place(
    tmp_path: Path,
) -> None:
    """systemd stops a service by SIGTERM to every process of its group, and Ctrl-C in a terminal reaches the whole
    foreground group: the child process building the relevance model (the first-start poll's) ended with the
    service, which took that for a failed build, logged 'training in a child process failed (no message); training in
    place' and built the model in place before it could exit. The build is left to the next poll."""
    feed = ROOT / "tests/data/arxiv/rss/rss_cs.LG+cs.AI+cs.CL+stat.ML_2026-09-24_trimmed-4items.xml"
    service, log = spawned_service(tmp_path, str(feed), own_group=True)
    try:
        deadline = time.monotonic() + 120
        while _build_child_of(service.pid) is None:
            assert service.poll() is None, log.read_text(encoding="utf-8")
            assert "start-up: caught up" not in log.read_text(encoding="utf-8"), "no model was built in a child"
            assert time.monotonic() < deadline, "the service built no model"
            time.sleep(0.01)
        os.killpg(service.pid, signal.SIGTERM)  # as systemd stops a unit, and as Ctrl-C reaches a terminal's group
        status = service.wait(timeout=120)
    finally:
        if service.poll() is None:
            service.kill()
            service.wait()
    said = log.read_text(encoding="utf-8")
    assert status == 0 and said.splitlines()[-1].endswith("digest.service: stopped"), said[-2000:]
    assert "training in place" not in said, said[-2000:]
