"""Publishing over a slow link or to a hung forge: the real `git http-backend` behind a loopback server that sends the
pack of a fetch slowly but steadily, or sends a piece of it and then nothing. The limits are made small (a total of
2 s for a command on the clone, as every command had; a stall after 1 s) so that each test takes seconds."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from digest.publish import git_process
from digest.publish.publisher import FAILED, PUBLISHED, Publisher
from digest.publish.store import last_error
from digest.review.reviewer import Reviewer
from digest.service.wiring import open_service_database
from tests.conftest import make_settings
from tests.factories import insert_candidate, real_papers
from tests.git_http import SlowGitHttpServer, backend_path
from tests.git_remote import ANN, NOW, make_remote, publish_config
from tests.publishing import running_publisher

pytestmark = pytest.mark.skipif(backend_path() is None, reason="git-http-backend is not installed")
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def small_limits(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(git_process, "LOCAL_SECONDS", 2.0)  # the fixed limit every git command had (120 s)
    monkeypatch.setattr(git_process, "NETWORK_SECONDS", 30.0)
    monkeypatch.setattr(git_process, "STALL_SECONDS", 1)


def publish_through(server: SlowGitHttpServer, data: Path) -> tuple[str, str, float]:
    """One approval published to the server's repository: the outcome, its line and how long it took."""
    settings = make_settings(data, publish_config(server.url("remote.git")))
    database = open_service_database(settings)
    try:
        Reviewer(database, settings).decide(insert_candidate(database, real_papers()[0]), "approve", ANN)
        began = time.monotonic()
        result = Publisher(database, settings, clock=lambda: NOW).publish()
        return result.outcome, result.message, time.monotonic() - began
    finally:
        database.dispose()


def test_a_first_fetch_slower_than_the_old_limit_but_moving_publishes(tmp_path: Path) -> None:
    """A list repository with a long history on a slow link took longer than the 120 s every git command had to
    fetch the first time: the publish failed every time ("took longer than 120 s"), though git was receiving all
    along. Now a fetch is given up when it stalls, not when it is slow: it finishes, and the approval is published."""
    remote = make_remote(tmp_path)
    with SlowGitHttpServer(tmp_path, seconds=4.0) as server:
        outcome, message, took = publish_through(server, tmp_path / "data")
    assert outcome == PUBLISHED, message
    assert took > git_process.LOCAL_SECONDS  # the fetch ran past the old limit
    assert str(real_papers()[0]["arxiv_id"]) in remote.readme()


def test_a_fetch_that_stalls_is_given_up_with_a_line_naming_the_stall(tmp_path: Path) -> None:
    """A forge that stops sending in the middle of a fetch must not hold the publish for the long ceiling a slow
    fetch is given: git gives up once nothing has come for STALL_SECONDS, and the line says the connection stalled."""
    remote = make_remote(tmp_path)
    before = remote.head()
    with SlowGitHttpServer(tmp_path, seconds=4.0, stall=True) as server:
        outcome, message, took = publish_through(server, tmp_path / "data")
        assert server.packs_begun.is_set()
    assert outcome == FAILED
    assert (
        "connection to the repository stalled (less than 1 byte a second came for 1 second)" in message
        and "\n" not in message
    ), message
    assert took < git_process.NETWORK_SECONDS / 2
    assert remote.head() == before


def test_a_fetch_past_the_ceiling_names_it_as_a_person_would(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A fetch given up at its ceiling said "took longer than 14400 s (is ... slow or unreachable?)": raw seconds, and
    a guess a stall (given up far sooner) would have answered. It now says the limit in words, and that the link
    moved, too slowly."""
    monkeypatch.setattr(git_process, "NETWORK_SECONDS", 2.0)
    monkeypatch.setattr(git_process, "STALL_SECONDS", 60)
    make_remote(tmp_path)
    with SlowGitHttpServer(tmp_path, seconds=6.0) as server:
        outcome, message, _ = publish_through(server, tmp_path / "data")
        url = server.url("remote.git")
    assert outcome == FAILED
    assert message == (
        f"git fetch with {url} was still running after 2 seconds, the longest one may take (data kept coming, too "
        "slowly); trying again later"
    ), message


@pytest.mark.asyncio
async def test_stopping_the_service_ends_a_fetch_under_way_at_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With a fetch given hours while it moves, the service's stop (SIGTERM, an upgrade) waited for the fetch under
    way to end. Now stopping ends it at once; the publish is failed with a line saying why, and tried at the next
    start."""
    monkeypatch.setattr(git_process, "STALL_SECONDS", 60)  # the stall is not noticed while the test runs
    make_remote(tmp_path)
    with SlowGitHttpServer(tmp_path, seconds=4.0) as server:
        settings = make_settings(tmp_path / "data", publish_config(server.url("remote.git")))
        async with running_publisher(settings) as (database, reviewer, runner):
            server.stall = True
            await reviewer.decide_async(insert_candidate(database, real_papers()[0]), "approve", ANN)
            assert await asyncio.to_thread(server.packs_begun.wait, 20), "the fetch never began"
            began = asyncio.get_running_loop().time()
            await asyncio.wait_for(runner.stop(), 10)
            assert asyncio.get_running_loop().time() - began < 10
            error = last_error(database)
    assert error is not None and "the service is stopping" in error, error


def git_processes_of(clone: Path, url: str) -> list[str]:
    """The command lines of the processes working in `clone` or talking to `url` (git, git-remote-http, index-pack)."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode("utf-8", "replace")
            folder = os.readlink(entry / "cwd")
        except (OSError, ValueError):
            continue  # not a process, or one that ended meanwhile
        if str(clone) in command or url in command or Path(folder).is_relative_to(clone):
            found.append(command)
    return found


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP], ids=["SIGTERM", "SIGHUP"])
def test_sigterm_to_digest_publish_ends_its_fetch_and_the_next_publish_goes_through(
    tmp_path: Path, signum: signal.Signals
) -> None:
    """`digest publish` sent SIGTERM (systemctl stop, timeout(1), a container stopped) or SIGHUP (its terminal closed)
    in the middle of a fetch died on the spot and left its git (a session of its own) fetching, maybe holding the
    clone's lock files for the next publish. It now ends git as Ctrl-C does: one line, exit 130, no git of the clone
    left, the decision still pending and published by the next `digest publish`."""
    remote = make_remote(tmp_path)
    with SlowGitHttpServer(tmp_path, seconds=2.0, stall=True) as server:
        url = server.url("remote.git")
        data = tmp_path / "data"
        settings = make_settings(data, publish_config(url))
        database = open_service_database(settings)
        try:
            Reviewer(database, settings).decide(insert_candidate(database, real_papers()[0]), "approve", ANN)
        finally:
            database.dispose()
        environment = {"PATH": os.environ["PATH"], "HOME": str(tmp_path), "PYTHONPATH": str(ROOT)}
        config = tmp_path / "data-config.toml"  # where make_settings wrote it
        digest = [sys.executable, "-m", "digest", "--config", str(config), "--data-dir", str(data)]
        running = subprocess.Popen(
            [*digest, "publish"], cwd=tmp_path, env=environment, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        try:
            assert server.packs_begun.wait(60), "the fetch never began"
            running.send_signal(signum)
            began = time.monotonic()
            _, err = running.communicate(timeout=30)
        finally:
            if running.poll() is None:
                running.kill()
                running.wait()
        assert time.monotonic() - began < 10
        said = err.decode()
        assert running.returncode == 130, said
        assert said.splitlines()[-1] == (
            "digest: interrupted: the publish stopped; the pending decisions are kept for the next publish"
        ), said
        assert "Traceback" not in said
        deadline = time.monotonic() + 5  # the group's SIGTERM is sent; its processes are reaped by now or soon
        while (left := git_processes_of(data / "publish" / "clone", url)) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert left == []
        status = subprocess.run([*digest, "publish", "--status"], env=environment, capture_output=True, timeout=60)
        assert b"pending decisions: 1" in status.stdout and b"last error: none" in status.stdout, status
        server.stall = False
        again = subprocess.run([*digest, "publish"], env=environment, capture_output=True, timeout=120)
    assert again.returncode == 0, again.stderr.decode()
    assert again.stdout.decode().startswith("published "), again.stdout
    assert str(real_papers()[0]["arxiv_id"]) in remote.readme()
