"""`digest run` stopped (SIGTERM to the service alone, as `docker stop` sends it) while a child process builds the
relevance model: the stop ends the child at once, its half-built model is thrown away, and the next start builds it.
The build after the maintainers' decisions so ended is said at INFO; its child killed otherwise, at WARNING."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path
from subprocess import Popen
from zoneinfo import ZoneInfo

import pytest

from digest.relevance.store import SAVED_MODEL
from tests.arxiv_server import ArxivServer, Reply
from tests.discord_bot import eventually, last_embed
from tests.fake_discord import MAINTAINER, FakeDiscord
from tests.feedbuild import build_rss, load_records
from tests.service_runs import (
    assert_stopped_without_trace,
    caught_up_then_stopped,
    killed_if_running,
    said_by,
    spawned_service,
    stopped,
)

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


async def building(service: Popen[bytes], log: Path) -> list[int]:
    """Until the spawned service has a child building the model (up to 90 s), those children; fails with its log if
    the service ended."""
    deadline = time.monotonic() + 90
    while not (children := builds_under(service.pid)):
        assert service.poll() is None, log.read_text(encoding="utf-8")
        assert time.monotonic() < deadline, "no child process built the model"
        await asyncio.sleep(0.02)
    return children


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
            children = await building(service, log)
            started = time.monotonic()
            status = await stopped(service)
            took = time.monotonic() - started
            said = log.read_text(encoding="utf-8")
            child_left = [child for child in children if Path(f"/proc/{child}").exists()]
            saved_after_stop = (tmp_path / "data" / "cache" / SAVED_MODEL).exists()
            leftovers = [path.name for path in (tmp_path / "data" / "cache").glob("tmp*")]
            service, log = spawned_service(tmp_path, feed)
            await caught_up_then_stopped(service, log)
        finally:
            killed_if_running(service)
    assert status == 0, said
    assert took < 3.0, f"the stop took {took:.1f} s: it waited for the model build"
    assert not child_left, "the model-building child outlived the service"
    assert_stopped_without_trace(said)
    assert not saved_after_stop, "a model was stored after the stop"
    assert not leftovers, leftovers
    assert poll_outcomes(tmp_path) == ["interrupted", "ok"], log.read_text(encoding="utf-8")
    assert (tmp_path / "data" / "cache" / SAVED_MODEL).exists(), "the next start did not build the model"


@asynccontextmanager
async def building_after_a_decision(tmp_path: Path, fake: FakeDiscord) -> AsyncIterator[tuple[Popen[bytes], Path]]:
    """`digest run` with Discord on, its first poll's papers posted, ann's ❌ on one of them, and a child building the
    model again after that decision (ten quiet seconds after it); the service and its log. Killed on the way out if
    it is still running (a test that failed before it stopped)."""
    async with ArxivServer() as arxiv:
        today = datetime.now(ZoneInfo("America/New_York")).date()
        feed = arxiv.program("/rss/cs.CL", Reply(body=build_rss("cs.CL", load_records(), today)))
        service, log = spawned_service(tmp_path, feed, web=fake.config_toml(), secrets={"DISCORD_TOKEN": "fake-token"})
        try:
            await said_by(service, log, "start-up: caught up")
            await eventually(lambda: bool(fake.messages), "a paper posted", within=60)
            mid = next(iter(fake.messages))
            await eventually(lambda: not builds_under(service.pid), "the poll's build over", within=60)
            await fake.react(mid, MAINTAINER, "❌")
            await eventually(lambda: "Rejected by ann" in last_embed(fake, mid)["description"], "rejected", within=30)
            await eventually(lambda: bool(builds_under(service.pid)), "the build after the decision", within=60)
            yield service, log
        finally:
            killed_if_running(service)


def relevance_lines(log: Path) -> list[list[str]]:
    """The relevance model's log lines, each as its level and its text."""
    lines = log.read_text(encoding="utf-8").splitlines()
    return [line.split(maxsplit=4)[2::2] for line in lines if " digest.relevance: " in line]


@pytest.mark.asyncio
async def test_a_stop_during_the_build_after_the_decisions_is_not_a_warning(tmp_path: Path, fake: FakeDiscord) -> None:
    """ann rejected a paper by ❌; the service was stopped (SIGTERM, as `docker stop`) while the model was built again
    after the decisions. The log said WARNING "relevance: cannot build the model after the decisions": an ordinary
    stop, worded as a failure to look into. Now it is said at INFO, as ended by the stop."""
    async with building_after_a_decision(tmp_path, fake) as (service, log):
        status = await stopped(service)
    assert status == 0, log.read_text(encoding="utf-8")
    assert relevance_lines(log) == [
        ["INFO", "relevance: building the model after the decisions was ended by the stop (the next poll will)"]
    ], log.read_text(encoding="utf-8")


@pytest.mark.asyncio
async def test_a_build_after_the_decisions_killed_while_the_service_runs_is_a_warning(
    tmp_path: Path, fake: FakeDiscord
) -> None:
    """The child building the model after the decisions killed (SIGKILL, as the out-of-memory killer does) while the
    service runs on is still a WARNING: something to look into, not a stop."""
    async with building_after_a_decision(tmp_path, fake) as (service, log):
        for child in builds_under(service.pid):
            os.kill(child, signal.SIGKILL)
        await said_by(service, log, "cannot build the model after the decisions")
        assert await stopped(service) == 0, log.read_text(encoding="utf-8")
    assert relevance_lines(log) == [
        [
            "WARNING",
            "relevance: cannot build the model after the decisions (the next poll will): the child process building the"
            " relevance model was ended by SIGKILL (the out-of-memory killer?); the next poll builds it",
        ]
    ], log.read_text(encoding="utf-8")


def running(pid: int) -> bool:
    """Whether the process `pid` still runs (a zombie, ended and waiting to be reaped, does not)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text(encoding="utf-8")
    except OSError:
        return False
    return not any(line.startswith("State:") and "Z" in line.split()[1] for line in status.splitlines())


@pytest.mark.asyncio
async def test_the_model_build_ends_with_a_service_killed_hard(tmp_path: Path) -> None:
    """`digest run` killed hard (SIGKILL, the out-of-memory killer, a crash) while a child process built the model:
    the child went on building for nobody, using CPU and memory up to its 900 s bound. It now ends with its parent,
    and the next start builds the model and serves as usual."""
    async with ArxivServer() as arxiv:
        feed = arxiv.serve_file("/rss/cs.CL", "rss/rss_cs.CL_2026-04-27_trimmed-3items.xml")
        service, log = spawned_service(tmp_path, feed)
        try:
            children = await building(service, log)
            service.kill()
            service.wait()
            deadline = time.monotonic() + 2  # the build takes longer: it would end by itself
            while (left := [child for child in children if running(child)]) and time.monotonic() < deadline:
                await asyncio.sleep(0.05)
            for child in left:  # not to leave it to the next test
                os.kill(child, signal.SIGKILL)
            service, log = spawned_service(tmp_path, feed)
            await caught_up_then_stopped(service, log)
        finally:
            killed_if_running(service)
    assert not left, "the model-building child outlived the service killed hard"
    said = log.read_text(encoding="utf-8")
    assert_stopped_without_trace(said, errors=True)
    assert poll_outcomes(tmp_path)[-1] == "ok", said
    assert (tmp_path / "data" / "cache" / SAVED_MODEL).exists(), "the next start did not build the model"
