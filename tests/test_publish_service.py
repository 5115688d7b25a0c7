"""Publishing as the service and the command line do it: the batch window, publishing on start, `digest publish`."""

from __future__ import annotations

import asyncio
import contextlib
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from digest.cli import main
from digest.config import Settings
from digest.config.publish import clone_folder
from digest.publish import runner as runner_module
from digest.publish.runner import PublishRunner
from digest.publish.store import has_pending
from digest.review.reviewer import Reviewer
from digest.review.rules import Actor
from digest.service.wiring import open_service_database
from digest.storage.db import Database
from tests.conftest import make_settings
from tests.factories import insert_candidate, real_papers
from tests.git_remote import TYPO_NEW, TYPO_OLD, Remote, make_remote, publish_config
from tests.waiting import seen_within, until

BOB = Actor("bob", "1002", "web")


async def wait_for_commits(remote: Remote, count: int, seconds: float = 20.0) -> None:
    for _ in range(int(seconds / 0.1)):
        if len(remote.commits()) >= count:
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"the remote has {len(remote.commits())} commits, not {count}")


async def wait_for_nothing_pending(database: Database, seconds: float = 60.0) -> None:
    for _ in range(int(seconds / 0.1)):
        if not await asyncio.to_thread(has_pending, database):
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"decisions are still pending after {seconds:g} s")


@pytest.mark.asyncio
async def test_decisions_within_the_batch_window_make_one_commit(tmp_path: Path) -> None:
    """A decision waits out the batch window before it is published, and the decisions made meanwhile go out with it
    in one commit. Before, the three decisions were made at once and the test held only the commit's message: with
    the window at 0 it still passed whenever all three landed before the publish read them."""
    remote = make_remote(tmp_path)
    # A window wide enough for the decisions below to fall in it on a loaded machine too (at 3 s a CI run under load
    # pushed the first two alone: each approval writes the list and its history before the next).
    settings = make_settings(tmp_path / "data", publish_config(remote.url, batch_seconds=8.0))
    database = open_service_database(settings)
    runner = PublishRunner(database, settings)
    reviewer = Reviewer(database, settings)
    reviewer.add_listener(runner.on_decision)
    # Pending at start, published at once: after it the runner is past its first look, which skips the window.
    await reviewer.decide_async(insert_candidate(database, real_papers()[4]), "approve", BOB)
    await runner.start()
    try:
        await wait_for_commits(remote, 2, seconds=60.0)
        await wait_for_nothing_pending(database)
        first, *others = [insert_candidate(database, real_papers()[index]) for index in (0, 1, 3)]
        await reviewer.decide_async(first, "approve", BOB)
        published_at_once = await seen_within(lambda: len(remote.commits()) > 2, 1.5)
        for candidate_id in others:
            await reviewer.decide_async(candidate_id, "approve", BOB)
        await wait_for_commits(remote, 3, seconds=60.0)
        # A further batch needs a decision still pending: once none is, the window's batch took all three.
        await wait_for_nothing_pending(database)
    finally:
        await runner.stop()
        database.dispose()
    assert not published_at_once, "the first decision was published before the batch window was over"
    assert len(remote.commits()) == 3
    assert remote.commits()[0].startswith("Add 3 papers: ")


@pytest.mark.asyncio
async def test_a_restarted_service_publishes_what_is_pending_at_once(tmp_path: Path) -> None:
    remote = make_remote(tmp_path)
    settings = make_settings(tmp_path / "data", publish_config(remote.url, batch_seconds=600))
    database = open_service_database(settings)
    first = PublishRunner(database, settings)
    await first.start()
    await first.stop()  # stopped before it published: the decision below is pending in the database
    candidate_id = insert_candidate(database, real_papers()[0])
    Reviewer(database, settings).decide(candidate_id, "approve", BOB)
    runner = PublishRunner(database, settings)
    await runner.start()
    try:
        await wait_for_commits(remote, 2)
    finally:
        await runner.stop()
        database.dispose()
    assert remote.commits()[0].startswith("Add 1 paper: ")


@contextlib.asynccontextmanager
async def pulling_every_half_second(tmp_path: Path) -> AsyncIterator[tuple[Remote, Settings]]:
    """The service's publishing with nothing pending, pulling every half second (SYNC_SECONDS, patched by the caller,
    is 15 minutes)."""
    remote = make_remote(tmp_path)
    settings = make_settings(tmp_path / "data", publish_config(remote.url, batch_seconds=600))
    database = open_service_database(settings)
    runner = PublishRunner(database, settings)
    await runner.start()
    try:
        yield remote, settings
    finally:
        await runner.stop()
        database.dispose()


async def wait_for_list_text(settings: Settings, text: str) -> None:
    await until(lambda: text in settings.list_markdown_path.read_text(encoding="utf-8"), f"{text!r} in the list")


def fetched_at(settings: Settings) -> int:
    """When the service's clone last fetched the list's repository (git writes FETCH_HEAD at each fetch); 0 before."""
    head = clone_folder(settings.data_dir) / ".git" / "FETCH_HEAD"
    return head.stat().st_mtime_ns if head.exists() else 0


async def wait_for_pulls(settings: Settings, count: int) -> None:
    """Until the clone has fetched `count` more times: each pull but the last is then over, its push (if any) made."""
    for _ in range(count):
        await a_further_pull(settings, fetched_at(settings))


async def a_further_pull(settings: Settings, before: int) -> None:
    await until(lambda: fetched_at(settings) != before, "a further pull of the list's repository")


@pytest.mark.asyncio
async def test_a_hand_edit_upstream_comes_back_while_nothing_is_pending(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A maintainer merged a contributor's paper into the README on GitHub. The service fetched only to publish a
    decision: until the next approval its list (data/list.md, the web page, the poll's "already listed") lacked the
    paper, and the poll offered it for review again. Now the service pulls every so often; nothing is pushed."""
    monkeypatch.setattr(runner_module, "SYNC_SECONDS", 0.5)
    async with pulling_every_half_second(tmp_path) as (remote, settings):
        paper = real_papers()[0]
        entry = (
            f"+ [{paper['title']}](https://arxiv.org/abs/{paper['arxiv_id']}) (May. 23, 2025)\n"
            f"  [![arXiv](https://img.shields.io/badge/arXiv-b31b1b.svg)](https://arxiv.org/abs/{paper['arxiv_id']})"
            "\n\n+ **SAE Analyzing Hierarchical Structure in VMs**"
        )
        remote.push_edit("+ **SAE Analyzing Hierarchical Structure in VMs**", entry, "Merge a contributor's paper")
        await wait_for_list_text(settings, str(paper["arxiv_id"]))
    assert settings.list_markdown_path.read_text(encoding="utf-8") == remote.readme()
    assert remote.commits() == ["Merge a contributor's paper", "The list"]


@pytest.mark.asyncio
async def test_the_pull_with_nothing_pending_pushes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The list here changed without a decision (`digest list import` of a local edit): the pull every so often
    brings the maintainers' edits and pushes nothing; the local edit goes out with the next decision, as before."""
    monkeypatch.setattr(runner_module, "SYNC_SECONDS", 0.5)
    async with pulling_every_half_second(tmp_path) as (remote, settings):
        local = tmp_path / "local.md"
        local.write_text(remote.readme().replace(TYPO_OLD, TYPO_NEW), encoding="utf-8")
        arguments = ["--config", str(tmp_path / "data-config.toml"), "--data-dir", str(settings.data_dir)]
        assert await asyncio.to_thread(main, [*arguments, "list", "import", str(local)]) == 0
        remote.push_edit("+ **SAE Analyzing Hierarchical Structure in VMs**", "+ **SAE Hierarchies in ViTs**")
        await wait_for_list_text(settings, "SAE Hierarchies in ViTs")
        await wait_for_pulls(settings, 2)  # the next pull is over: a push it made would be upstream now
    text = settings.list_markdown_path.read_text(encoding="utf-8")
    assert "SAE Hierarchies in ViTs" in text and TYPO_NEW in text
    assert remote.commits() == ["Fix a typo by hand", "The list"] and TYPO_OLD in remote.readme()


def test_the_command_line_dry_run_publish_and_status(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in ("DIGEST_CONFIG", "DIGEST_DATA_DIR", "DIGEST_DATABASE_URL", "DIGEST_GIT_TOKEN", "DIGEST_GIT_SSH_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    remote = make_remote(tmp_path)
    config = tmp_path / "config.toml"
    config.write_text(publish_config(remote.url), encoding="utf-8")
    data = tmp_path / "data"
    base = ["--config", str(config), "--data-dir", str(data)]
    assert main([*base, "publish", "--status"]) == 0
    assert "pending decisions: 0" in capsys.readouterr().out
    settings = make_settings(data, publish_config(remote.url))
    database = open_service_database(settings)
    paper = real_papers()[0]
    candidate_id = insert_candidate(database, paper)
    Reviewer(database, settings).decide(candidate_id, "approve", BOB)
    database.dispose()

    assert main([*base, "publish", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("--- a/README.md\n+++ b/README.md\n") and "+  [![arXiv]" in out and paper["arxiv_id"] in out
    assert len(remote.commits()) == 1  # a dry run pushes nothing
    assert main([*base, "publish", "--status"]) == 0
    assert f"approve {paper['arxiv_id']} into Sparse Autoencoder by bob via web" in capsys.readouterr().out

    assert main([*base, "publish"]) == 0
    assert "published" in capsys.readouterr().out and len(remote.commits()) == 2
    assert main([*base, "publish", "--status"]) == 0
    out = capsys.readouterr().out
    assert f"last published: {remote.head()}" in out and "pending decisions: 0" in out and "last error: none" in out


def test_a_blocked_publish_on_the_command_line_says_each_finding_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each lint finding of a broken upstream file was printed three times (the publisher's log, the command's own
    lines, the error line that quotes the first); the run's failure line twice. Now: the finding's line, and the one
    failure line that quotes it (as /healthz does)."""
    for name in ("DIGEST_CONFIG", "DIGEST_DATA_DIR", "DIGEST_DATABASE_URL", "DIGEST_GIT_TOKEN", "DIGEST_GIT_SSH_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    remote = make_remote(tmp_path)
    bad = "+ **Copy** [Some Other Title](https://arxiv.org/abs/2503.01773) (Jan. 1, 2025)\n\n+ **Probing MLLMs**"
    remote.push_edit("+ **Probing MLLMs**", bad, "A bad edit")
    config = tmp_path / "config.toml"
    config.write_text(publish_config(remote.url), encoding="utf-8")
    base = ["--config", str(config), "--data-dir", str(tmp_path / "data")]
    settings = make_settings(tmp_path / "data", publish_config(remote.url))
    database = open_service_database(settings)
    Reviewer(database, settings).decide(insert_candidate(database, real_papers()[0]), "approve", BOB)
    database.dispose()
    python = Path(sys.executable)
    for dry_run in (["--dry-run"], []):  # a process of its own: logging as a user's shell shows it
        done = subprocess.run(
            [str(python), "-m", "digest", *base, "publish", *dry_run], capture_output=True, text=True, check=False
        )
        assert done.returncode == 1, done.stderr
        err = done.stderr
        finding = "README.md:317: error: arXiv 2503.01773 is linked from"
        lines = [line for line in err.splitlines() if finding in line]
        assert len(lines) == 2 and sum("upstream has 1 new lint error:" in line for line in lines) == 1, err
    assert len(remote.commits()) == 2  # the initial commit and the bad edit: nothing pushed


def test_the_dry_run_diff_shows_an_upstream_lines_terminal_controls_inert(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A line merged upstream (a contributor's pull request) beside the approval's entry is in the dry run's diff: its
    escape sequences (hide the rest, retitle the window), a bare carriage return and a bidi override went raw to the
    maintainer's terminal, so the diff they read before publishing was not what would be pushed."""
    for name in ("DIGEST_CONFIG", "DIGEST_DATA_DIR", "DIGEST_DATABASE_URL", "DIGEST_GIT_TOKEN", "DIGEST_GIT_SSH_KEY"):
        monkeypatch.delenv(name, raising=False)
    remote = make_remote(tmp_path)
    neighbour = "+ **SAE Analyzing Hierarchical Structure in VMs**"
    hostile = f"{neighbour} \x1b[8mhidden\x1b[0m\x1b]0;retitled\x07 \u202eright\rover"
    remote.push_edit(neighbour, hostile, "A contributor's entry")
    config = tmp_path / "config.toml"
    config.write_text(publish_config(remote.url), encoding="utf-8")
    data = tmp_path / "data"
    settings = make_settings(data, publish_config(remote.url))
    database = open_service_database(settings)
    Reviewer(database, settings).decide(insert_candidate(database, real_papers()[0]), "approve", BOB)
    database.dispose()

    assert main(["--config", str(config), "--data-dir", str(data), "publish", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("--- a/README.md\n+++ b/README.md\n") and real_papers()[0]["arxiv_id"] in out
    assert not any(control in out for control in ("\x1b", "\x07", "\u202e", "\r")), repr(out)
    assert "[8mhidden [0m ]0;retitled   right" in out  # shown, each control a space
    assert len(remote.commits()) == 2  # a dry run pushes nothing


def test_a_dry_run_says_what_an_upstream_edit_would_take_out_of_the_list_here(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A maintainer deleted an entry in the list's repository by hand; `digest publish --dry-run` said "README.md is
    up to date; nothing was pushed", and the real publish then took the entry out of the list here (list.md, the
    pages). The dry run now says so in its line, naming the entry, and still changes nothing."""
    for name in ("DIGEST_CONFIG", "DIGEST_DATA_DIR", "DIGEST_DATABASE_URL", "DIGEST_GIT_TOKEN", "DIGEST_GIT_SSH_KEY"):
        monkeypatch.delenv(name, raising=False)
    remote = make_remote(tmp_path)
    config = tmp_path / "config.toml"
    config.write_text(publish_config(remote.url), encoding="utf-8")
    data = tmp_path / "data"
    base = ["--config", str(config), "--data-dir", str(data)]
    assert main([*base, "publish"]) == 0  # the first sync
    entry = (
        "+ **Probing MLLMs** [Probing Multimodal Large Language Models for Global and Local Semantic Representations]"
    )
    block = remote.readme().split(entry, 1)[1].split("\n\n", 1)[0]
    remote.push_edit(f"{entry}{block}\n\n", "", "Drop a paper by hand")
    capsys.readouterr()

    assert main([*base, "publish", "--dry-run"]) == 0
    err = capsys.readouterr().err.splitlines()[-1]
    assert err == (
        "dry run: README.md is up to date; it would bring the edits made there into the list here: 0 added, 0 moved, "
        "1 removed (- Probing: Probing Multimodal Large Language Models for Global and Local Semantic "
        "Representations); nothing was pushed"
    )
    assert "2402.17304" in (data / "list.md").read_text(encoding="utf-8")  # a dry run changes nothing
    assert main([*base, "publish"]) == 0
    assert "2402.17304" not in (data / "list.md").read_text(encoding="utf-8")
