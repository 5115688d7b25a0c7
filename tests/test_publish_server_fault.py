"""A forge that fails on its own side while taking a push ("[remote rejected] main (Internal Server Error)", as
GitHub words a passing fault) against one that refuses it (a hook, a protected branch). Real git: the bare
repository's proc-receive hook answers for its branch as the forge's server would."""

from __future__ import annotations

import asyncio
import shlex
from datetime import timedelta
from pathlib import Path

import pytest

from digest.cli import main
from digest.publish import rules
from digest.publish import runner as runner_module
from digest.publish.publisher import FAILED, Publisher
from digest.publish.store import read_status
from digest.review.reviewer import Reviewer
from digest.service.wiring import open_service_database
from tests.conftest import make_settings
from tests.factories import insert_candidate, real_papers
from tests.git_remote import ANN, NOW, Remote, git, make_remote, publish_config
from tests.publishing import running_publisher

# The receiving side's report for every branch pushed: what a forge's server says when it fails mid-push.
_PROC_RECEIVE = """#!/usr/bin/env python3
import sys
read, write = sys.stdin.buffer, sys.stdout.buffer
def packet():
    size = int(read.read(4), 16)
    return None if size == 0 else read.read(size - 4)
def send(data):
    write.write(b"%04x" % (len(data) + 4) + data)
while packet() is not None:
    pass
send(b"version=1\\0")
write.write(b"0000"); write.flush()
refs = []
while (line := packet()) is not None:
    refs.append(line.rstrip(b"\\n").split(b" ")[2])
with open(sys.argv[0] + ".said", "ab") as said:
    said.write(b"push\\n")
for ref in refs:
    send(b"ng " + ref + b" REASON")
write.write(b"0000"); write.flush()
"""


def failing_server(remote: Remote, reason: str) -> Path:
    """The repository's server answers each push of a branch with `reason`; returns the file counting the pushes."""
    hook = remote.bare / "hooks" / "proc-receive"
    hook.write_text(_PROC_RECEIVE.replace("REASON", reason), encoding="utf-8")
    hook.chmod(0o755)
    git(remote.bare, "config", "receive.procReceiveRefs", "refs/heads")
    return hook.with_name("proc-receive.said")


def healed(remote: Remote) -> None:
    git(remote.bare, "config", "--unset", "receive.procReceiveRefs")


@pytest.mark.parametrize("reason", ["Internal Server Error", "unpacker error", "failed to update ref"])
def test_a_fault_on_the_forges_side_is_said_as_such_not_as_a_refusal(tmp_path: Path, reason: str) -> None:
    """The forge failed on its side while taking the push: `digest publish` said the repository refused it and told
    the maintainer to let the service's account push there (it can), and held. It now says the server failed and that
    it is tried again, and keeps the decision."""
    remote = make_remote(tmp_path)
    failing_server(remote, reason)
    settings = make_settings(tmp_path / "data", publish_config(remote.url))
    database = open_service_database(settings)
    try:
        publisher = Publisher(database, settings, clock=lambda: NOW)
        publisher.remember_base()
        reviewer = Reviewer(database, settings, clock=lambda: NOW)
        reviewer.decide(insert_candidate(database, real_papers()[0]), "approve", ANN)
        result = publisher.publish()
        assert result.outcome == FAILED and not result.held, result
        assert reason in result.message and "trying again" in result.message, result.message
        assert "let the service's account push" not in result.message, result.message
        assert len(read_status(database, settings.templates_dir).pending) == 1
    finally:
        database.dispose()


def test_digest_publish_run_by_hand_says_to_run_it_again_not_that_it_is_tried_later(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`digest publish` run by hand against a forge failing on its side said "trying again later", a retry only the
    service makes: nothing ran it again. It now says to run the same command again later (its settings file and data
    folder), and run as printed once the forge recovers, that publishes the approval."""
    remote = make_remote(tmp_path)
    failing_server(remote, "Internal Server Error")
    settings = make_settings(tmp_path / "data", publish_config(remote.url))
    options = ["--config", str(settings.config_path), "--data-dir", str(settings.data_dir)]
    database = open_service_database(settings)
    try:
        paper = real_papers()[0]
        Reviewer(database, settings, clock=lambda: NOW).decide(insert_candidate(database, paper), "approve", ANN)
    finally:
        database.dispose()
    capsys.readouterr()
    assert main([*options, "publish"]) == 1
    said = capsys.readouterr().err
    assert "Internal Server Error" in said and "trying again later" not in said, said
    again = shlex.join(["digest", *options, "publish"])
    assert f"run `{again}` again later (a running service tries again by itself" in said, said
    healed(remote)
    assert main(shlex.split(again)[1:]) == 0
    assert str(paper["arxiv_id"]) in remote.readme()


@pytest.mark.asyncio
async def test_the_service_publishes_on_its_own_once_the_forge_recovers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A forge's passing fault held publishing until a maintainer ran `digest publish`, the branch moved there or the
    service restarted: an approval could wait for days behind one bad minute at the forge. It is now tried again with
    the back-off, and goes through once the forge takes pushes again."""
    monkeypatch.setattr(rules, "BACKOFF_START", timedelta(seconds=0.2))  # the back-off as fast as a test can wait
    monkeypatch.setattr(runner_module, "HELD_CHECK_SECONDS", 600.0)  # a held publish would not look again here
    remote = make_remote(tmp_path)
    said = failing_server(remote, "Internal Server Error")
    settings = make_settings(tmp_path / "data", publish_config(remote.url))
    async with running_publisher(settings) as (database, reviewer, _runner):
        paper = real_papers()[0]
        await reviewer.decide_async(insert_candidate(database, paper), "approve", ANN)
        for _ in range(300):
            if said.exists():
                break
            await asyncio.sleep(0.1)
        assert said.exists(), "the service never pushed"
        healed(remote)
        for _ in range(300):
            if str(paper["arxiv_id"]) in remote.readme():
                break
            await asyncio.sleep(0.1)
    assert str(paper["arxiv_id"]) in remote.readme(), "the approval waited for a maintainer after the forge recovered"
