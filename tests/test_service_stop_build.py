"""`digest run` stopped (SIGTERM to the service alone, as `docker stop` sends it) while a child process builds the
relevance model: the stop ends the child at once, its half-built model is thrown away, and the next start builds it."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from pathlib import Path

import pytest

from digest.relevance.store import SAVED_MODEL
from tests.arxiv_server import ArxivServer
from tests.service_runs import said_by, spawned_service, stopped

BUILD = "digest.relevance.build"


def builds_under(parent: int) -> list[int]:
    """The model-building child processes of `parent` (from /proc: their command line and parent)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            command = (entry / "cmdline").read_bytes().split(b"\0")
            status = (entry / "status").read_text(encoding="utf-8")
        except OSError:  # ended meanwhile
            continue
        ppid = next((int(line.split()[1]) for line in status.splitlines() if line.startswith("PPid:")), 0)
        if ppid == parent and BUILD.encode() in command:
            found.append(int(entry.name))
    return found


def poll_outcomes(tmp_path: Path) -> list[str]:
    with sqlite3.connect(f"file:{tmp_path / 'data' / 'digest.sqlite3'}?mode=ro", uri=True) as connection:
        return [row[0] for row in connection.execute("SELECT outcome FROM poll_runs ORDER BY id")]


@pytest.mark.asyncio
async def test_sigterm_ends_the_model_build_at_once(tmp_path: Path) -> None:
    """The child process building the model was not signalled by a `docker stop` (systemd signals the whole group;
    docker the service alone): the stop waited for the build, seconds here and up to its 900 s time-out, and stored the
    model nobody would use. The stop now ends the child; the poll is recorded interrupted and the next start builds."""
    async with ArxivServer() as arxiv:
        feed = arxiv.serve_file("/rss/cs.CL", "rss/rss_cs.CL_2026-04-27_trimmed-3items.xml")
        service, log = spawned_service(tmp_path, feed)
        try:
            deadline = time.monotonic() + 90
            while not (children := builds_under(service.pid)):
                assert service.poll() is None, log.read_text(encoding="utf-8")
                assert time.monotonic() < deadline, "no child process built the model"
                await asyncio.sleep(0.02)
            started = time.monotonic()
            status = await stopped(service)
            took = time.monotonic() - started
            said = log.read_text(encoding="utf-8")
            child_left = [child for child in children if Path(f"/proc/{child}").exists()]
            saved_after_stop = (tmp_path / "data" / "cache" / SAVED_MODEL).exists()
            leftovers = [path.name for path in (tmp_path / "data" / "cache").glob("tmp*")]
            service, log = spawned_service(tmp_path, feed)
            await said_by(service, log, "start-up: caught up")
            assert await stopped(service) == 0, log.read_text(encoding="utf-8")
        finally:
            if service.poll() is None:
                service.kill()
                service.wait()
    assert status == 0, said
    assert took < 3.0, f"the stop took {took:.1f} s: it waited for the model build"
    assert not child_left, "the model-building child outlived the service"
    assert "ERROR" not in said, said
    assert "Traceback" not in said, said
    assert said.splitlines()[-1].endswith("digest.service: stopped"), said.splitlines()[-5:]
    assert not saved_after_stop, "a model was stored after the stop"
    assert not leftovers, leftovers
    assert poll_outcomes(tmp_path) == ["interrupted", "ok"], log.read_text(encoding="utf-8")
    assert (tmp_path / "data" / "cache" / SAVED_MODEL).exists(), "the next start did not build the model"
