"""Publishing over a slow link or to a hung forge: the real `git http-backend` behind a loopback server that sends the
pack of a fetch slowly but steadily, or sends a piece of it and then nothing. The limits are made small (a total of
2 s for a command on the clone, as every command had; a stall after 1 s) so that each test takes seconds."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from digest.publish import git_process
from digest.publish.publisher import FAILED, PUBLISHED, Publisher
from digest.publish.runner import PublishRunner
from digest.publish.store import last_error
from digest.review.reviewer import Reviewer
from digest.service.wiring import open_service_database
from tests.conftest import make_settings
from tests.factories import insert_candidate, real_papers
from tests.git_http import SlowGitHttpServer, backend_path
from tests.git_remote import ANN, NOW, make_remote, publish_config

pytestmark = pytest.mark.skipif(backend_path() is None, reason="git-http-backend is not installed")


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
        "connection to the repository stalled (less than 1 byte(s) a second came for 1 s)" in message
        and "\n" not in message
    ), message
    assert took < git_process.NETWORK_SECONDS / 2
    assert remote.head() == before


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
        database = open_service_database(settings)
        try:
            runner = PublishRunner(database, settings)
            reviewer = Reviewer(database, settings, clock=lambda: NOW)
            reviewer.add_listener(runner.on_decision)
            await runner.start()
            server.stall = True
            await reviewer.decide_async(insert_candidate(database, real_papers()[0]), "approve", ANN)
            assert await asyncio.to_thread(server.packs_begun.wait, 20), "the fetch never began"
            began = asyncio.get_running_loop().time()
            await asyncio.wait_for(runner.stop(), 10)
            assert asyncio.get_running_loop().time() - began < 10
            error = last_error(database)
        finally:
            database.dispose()
    assert error is not None and "the service is stopping" in error, error
