"""Publishing after a year of use: `digest publish` run in a shell while the service publishes, the service
stopped or waiting while the shell holds the clone, a full disk. Each against a real bare repository."""

from __future__ import annotations

import asyncio
import logging
import threading
from pathlib import Path
from typing import Any

import pytest

from digest import health
from digest.config import Settings
from digest.publish.publisher import PUBLISHED, UNCHANGED, Publisher
from digest.publish.runner import PublishRunner
from digest.review.reviewer import Reviewer
from digest.service.wiring import open_service_database
from digest.storage.db import Database
from tests.conftest import make_settings
from tests.factories import insert_candidate, real_papers
from tests.git_remote import ANN, NOW, TYPO_NEW, TYPO_OLD, Remote, publish_config
from tests.publishing import approve, db, remote, services, st  # noqa: F401  (fixtures)
from tests.waiting import until


def test_digest_publish_in_a_shell_while_the_service_publishes_loses_no_approval(
    remote: Remote,  # noqa: F811
    st: Settings,  # noqa: F811
    db: Database,  # noqa: F811  (fixtures)
) -> None:
    """A maintainer runs `digest publish` (its own process, its own connection) while the service publishes. Both
    worked in the one clone: the service's commit was taken over by the shell's checkout, so the service pushed the
    shell's older commit, said "Add 2 papers", and recorded the second paper as published; the next sync read it as
    taken out by hand and dropped it from the list. Now the second publish waits for the first."""
    reviewer, service = services(db, st)
    shell_database = open_service_database(st)
    shell = Publisher(shell_database, st, clock=lambda: NOW)
    first = approve(db, reviewer, 0)
    shell_read, go_shell, service_committing, go_service = (threading.Event() for _ in range(4))
    shell_commit = shell.git.commit
    service_run = service.git._run

    def commit_after_a_pause(*args: Any, **kwargs: Any) -> str:  # the shell has read the database, then is slow
        shell_read.set()
        go_shell.wait(10)
        return shell_commit(*args, **kwargs)

    def run_with_a_pause(*args: str, **kwargs: Any) -> Any:  # the service has committed, then is slow
        if args == ("rev-parse", "HEAD"):
            service_committing.set()
            go_service.wait(10)
        return service_run(*args, **kwargs)

    shell.git.commit = commit_after_a_pause  # type: ignore[method-assign]
    service.git._run = run_with_a_pause  # type: ignore[method-assign]
    results: dict[str, Any] = {}
    in_shell = threading.Thread(target=lambda: results.update(shell=shell.publish()))
    in_service = threading.Thread(target=lambda: results.update(service=service.publish()))
    try:
        in_shell.start()
        assert shell_read.wait(10)
        second = approve(db, reviewer, 1)  # approved on Discord while the shell's publish runs
        in_service.start()
        service_committing.wait(2)  # before the fix it commits now; after it, it waits for the shell's publish
        go_shell.set()
        in_shell.join(30)
        go_service.set()
        in_service.join(30)
    finally:
        go_shell.set()
        go_service.set()
        shell_database.dispose()
    assert results["shell"].outcome == PUBLISHED and results["service"].outcome == PUBLISHED
    assert service.publish().outcome == UNCHANGED
    readme = remote.readme()
    assert first in readme and second in readme, "an approval was lost"
    assert second in st.list_markdown_path.read_text(encoding="utf-8")
    assert remote.commits()[0].startswith("Add 1 paper: Steering CLIP"), remote.commits()


@pytest.mark.asyncio
async def test_a_full_disk_while_the_service_publishes_is_a_failure_it_comes_back_from(
    remote: Remote,  # noqa: F811
    st: Settings,  # noqa: F811
    db: Database,  # noqa: F811  (fixtures)
) -> None:
    """The disk filled up while the service merged a hand edit with an approval: the OSError ended the service's
    publishing loop for good (nothing in /healthz, nothing published until a restart, the error thrown at stop).
    Now it is a failure with one line, on /healthz and retried with back-off; freed, the next try publishes."""
    runner = PublishRunner(db, st)
    reviewer = Reviewer(db, st, clock=lambda: NOW)
    reviewer.add_listener(runner.on_decision)
    await runner.start()
    try:
        remote.push_edit(TYPO_OLD, TYPO_NEW)
        merge = st.data_dir / "publish" / "merge"
        merge.mkdir(parents=True, exist_ok=True)
        (merge / "ours").symlink_to("/dev/full")  # writing there fails as on a full disk (ENOSPC)
        arxiv_id = str(real_papers()[0]["arxiv_id"])
        await reviewer.decide_async(insert_candidate(db, real_papers()[0]), "approve", ANN)
        for _ in range(200):
            failing = [c for c in health.components() if c.name == "publish" and not c.ok]
            if failing:
                break
            await asyncio.sleep(0.1)
        assert failing, "the failure never reached /healthz"
        assert "No space left on device" in failing[0].message and "free space" in failing[0].message
        assert runner.failures == 1  # the loop lives on, its next attempt on the back-off
    finally:
        await runner.stop()
    (merge / "ours").unlink()  # space freed: the next try (here `digest publish`) publishes both
    assert Publisher(db, st, clock=lambda: NOW).publish().outcome == PUBLISHED
    assert arxiv_id in remote.readme() and TYPO_NEW in remote.readme()


@pytest.mark.asyncio
async def test_the_service_stops_at_once_while_digest_publish_holds_the_clone_and_publishes_after_it(
    remote: Remote,  # noqa: F811
    st: Settings,  # noqa: F811
    db: Database,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A maintainer's `digest publish` holds the clone (a slow push) when an approval comes in: the service's publish
    thread blocked on the clone's lock, so stopping the service (SIGTERM, an upgrade) hung until the shell's publish
    ended. Now the service looks again a few seconds later, stops at once meanwhile, and publishes once it is free."""
    from digest.publish import runner as runner_module
    from digest.storage.files import held_for_writing

    monkeypatch.setattr(runner_module, "BUSY_SECONDS", 0.1)
    runner = PublishRunner(db, st)
    reviewer = Reviewer(db, st, clock=lambda: NOW)
    reviewer.add_listener(runner.on_decision)
    arxiv_id = str(real_papers()[0]["arxiv_id"])
    try:
        with held_for_writing(runner.publisher.git.folder), caplog.at_level(logging.INFO, logger="digest.publish"):
            await runner.start()  # the shell's `digest publish` holds the clone meanwhile
            await reviewer.decide_async(insert_candidate(db, real_papers()[0]), "approve", ANN)
            await until(lambda: "another process is publishing" in caplog.text, "the publish meeting the held clone")
            assert arxiv_id not in remote.readme()
            began = asyncio.get_running_loop().time()
            await asyncio.wait_for(runner.stop(), 5)  # before: blocked in flock until the shell's publish ended
            assert asyncio.get_running_loop().time() - began < 5
        runner = PublishRunner(db, st)  # the service started again, the clone free
        await runner.start()
        for _ in range(200):
            if arxiv_id in remote.readme():
                break
            await asyncio.sleep(0.1)
    finally:
        await runner.stop()
    assert arxiv_id in remote.readme()


@pytest.mark.asyncio
async def test_the_service_publishes_soon_after_digest_publish_frees_the_clone_not_a_batch_window_later(
    remote: Remote,  # noqa: F811
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """After finding the clone held, the service waited the whole batch window again (a minute by default) on top of
    the few seconds the README promises."""
    import logging

    from digest.publish import runner as runner_module
    from digest.storage.files import held_for_writing

    monkeypatch.setattr(runner_module, "BUSY_SECONDS", 0.1)
    settings = make_settings(tmp_path / "batched", publish_config(remote.url, batch_seconds=8.0))
    database = open_service_database(settings)
    runner = PublishRunner(database, settings)
    reviewer = Reviewer(database, settings, clock=lambda: NOW)
    reviewer.add_listener(runner.on_decision)
    arxiv_id = str(real_papers()[0]["arxiv_id"])
    try:
        await runner.start()
        with caplog.at_level(logging.INFO, logger="digest.publish"):
            with held_for_writing(runner.publisher.git.folder):  # a `digest publish` in a shell meanwhile
                await reviewer.decide_async(insert_candidate(database, real_papers()[0]), "approve", ANN)
                for _ in range(200):  # the batch window (8 s), then the clone found held
                    if "another process is publishing" in caplog.text:
                        break
                    await asyncio.sleep(0.1)
                assert "another process is publishing" in caplog.text
            freed = asyncio.get_running_loop().time()
            while arxiv_id not in remote.readme() and asyncio.get_running_loop().time() - freed < 20:
                await asyncio.sleep(0.1)
            took = asyncio.get_running_loop().time() - freed
    finally:
        await runner.stop()
        database.dispose()
    assert arxiv_id in remote.readme()
    assert took < 6, f"published {took:.1f} s after the clone was free"  # before: the 8 s window once more
