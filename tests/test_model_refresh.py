"""After the maintainers decide in the service, the relevance model is built once the decisions are quiet, so the next
poll finds it ready instead of building it before it reads its first feed; a poll that must build it builds it while
its first feed downloads."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from datetime import date
from pathlib import Path

import pytest

from digest import health
from digest.arxiv import poll_pass
from digest.arxiv.poll_pass import run_poll
from digest.config import Settings
from digest.relevance import store
from digest.relevance.thresholds_store import thresholds_key
from digest.review.rules import Actor
from digest.service import model_refresh
from digest.service.process import Service
from digest.service.wiring import open_service_database
from digest.storage.state import RelevanceState
from tests import waiting
from tests.arxiv_server import ArxivServer, FakeClock, Reply
from tests.conftest import fill_disk, make_settings, mounted_tmpfs
from tests.factories import insert_candidate, real_papers
from tests.feedbuild import build_rss, load_records
from tests.waiting import seen_within

ANN = Actor("ann", "1001", "discord")
MONDAY = date(2026, 4, 27)
RELEVANT = ["2506.04706", "2504.11695", "2505.14071"]  # real multimodal-interpretability papers not in the list


def folder_with_candidates(tmp_path: Path, count: int) -> tuple[Settings, list[int]]:
    """A data folder holding the bundled list and `count` real papers as pending candidates; their ids."""
    settings = make_settings(tmp_path / "data")
    database = open_service_database(settings)
    try:
        return settings, [insert_candidate(database, paper) for paper in real_papers()[:count]]
    finally:
        database.dispose()


BUILD_SECONDS = 60.0  # how long a test waits for a model build (it runs in a child process: seconds)


def failed_part(parts: Sequence[health.Component]) -> health.Component | None:
    """The background part of /healthz once it says a failure, else None."""
    return next((part for part in parts if part.name == "background" and not part.ok), None)


def stored_model_key(service: Service) -> str | None:
    assert service.database is not None
    with service.database.reading() as session:
        row = session.get(RelevanceState, thresholds_key(service.settings))
        return str(row.value["model_key"]) if row is not None else None


def current_model_key(service: Service) -> str:
    assert service.database is not None
    with service.database.reading() as session:
        key, _ = store.base_model(session, service.settings)
    return key


@pytest.mark.asyncio
async def test_a_batch_of_decisions_builds_the_model_once_when_it_is_over(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(model_refresh, "QUIET_SECONDS", 0.5)
    settings, ids = folder_with_candidates(tmp_path, 3)
    store.clear_model_cache()
    service = Service(settings)
    await service.start(schedule=False, serve_web=False)
    try:
        assert service.reviewer is not None and service.model_refresher is not None
        before = await asyncio.to_thread(current_model_key, service)
        await service.reviewer.decide_async(ids[0], "approve", ANN)
        await asyncio.sleep(0.2)  # within the quiet wait: the batch goes on
        await service.reviewer.decide_async(ids[1], "reject", ANN)
        await service.reviewer.decide_async(ids[2], "reject", ANN)
        refresher = service.model_refresher
        await waiting.until(lambda: refresher.builds, "the model built after the batch", BUILD_SECONDS)
        # A second build would start a quiet wait after the first ended, and hold the poll lock from its start.
        second_build = await seen_within(refresher.poll_lock.locked, 2 * refresher.quiet)
        builds = service.model_refresher.builds
        stored = await asyncio.to_thread(stored_model_key, service)
        store.clear_model_cache()  # what a poll in another process would find: the saved model
        after = await asyncio.to_thread(current_model_key, service)
    finally:
        await service.stop()
        store.clear_model_cache()
    assert builds == 1 and not second_build
    assert after != before  # the decisions changed what the model learns from
    assert stored == after  # its thresholds are stored: the next poll reads them and builds nothing


@pytest.mark.asyncio
async def test_stopping_during_the_quiet_wait_builds_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(model_refresh, "QUIET_SECONDS", 30.0)
    settings, (candidate,) = folder_with_candidates(tmp_path, 1)
    service = Service(settings)
    await service.start(schedule=False, serve_web=False)
    assert service.reviewer is not None and service.model_refresher is not None
    refresher = service.model_refresher
    await service.reviewer.decide_async(candidate, "reject", ANN)
    await asyncio.wait_for(service.stop(), 10)  # does not wait out the quiet half minute
    assert refresher.builds == 0


@pytest.mark.asyncio
async def test_a_service_that_was_not_asked_anything_stops_at_once(tmp_path: Path) -> None:
    service = Service(make_settings(tmp_path / "data"))
    await service.start(schedule=False, serve_web=False)
    await asyncio.wait_for(service.stop(), 5)  # the refresher's wait (a minute) does not hold it


@pytest.mark.asyncio
async def test_a_failed_build_is_reported_and_the_next_decision_builds_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(model_refresh, "QUIET_SECONDS", 0.2)
    settings, ids = folder_with_candidates(tmp_path, 2)
    real_build = poll_pass.ensure_thresholds  # the build the refresher calls
    calls = []

    def failing_once(*args: object) -> object:
        calls.append(1)
        if len(calls) == 1:
            raise ZeroDivisionError("a bug")
        return real_build(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(model_refresh, "ensure_thresholds", failing_once)
    service = Service(settings)
    await service.start(schedule=False, serve_web=False)
    try:
        assert service.reviewer is not None and service.model_refresher is not None
        refresher = service.model_refresher
        await service.reviewer.decide_async(ids[0], "reject", ANN)
        failed = await waiting.until(lambda: failed_part(health.components()), "the failed build on /healthz", 5.0)
        await service.reviewer.decide_async(ids[1], "reject", ANN)
        await waiting.until(lambda: refresher.builds, "the model built after the next decision", BUILD_SECONDS)
    finally:
        await service.stop()
        store.clear_model_cache()
    assert failed is not None and not failed.ok and "ZeroDivisionError: a bug" in failed.message
    assert service.model_refresher.builds == 1 and len(calls) == 2


@pytest.mark.asyncio
async def test_a_poll_that_must_build_the_model_builds_it_while_the_feed_downloads(tmp_path: Path) -> None:
    """The feed's answer is held until the model is saved: it must have been built beside the download, not before
    it (as a poll did, fetching nothing until its model was ready) and not never."""
    settings, _ = folder_with_candidates(tmp_path, 0)
    saved = settings.data_dir / "cache" / store.SAVED_MODEL
    saved.unlink(missing_ok=True)
    store.clear_model_cache()
    built_when_asked: list[bool] = []

    async def once_the_model_is_saved() -> None:
        built_when_asked.append(saved.exists())
        await waiting.until(saved.exists, "the model saved beside the download", BUILD_SECONDS)

    papers = [record for record in load_records() if record["arxiv_id"] in RELEVANT]
    database = open_service_database(settings)
    try:
        async with ArxivServer() as server:
            reply = Reply(body=build_rss("cs.CV", papers, MONDAY), before_answer=once_the_model_is_saved)
            summary = await run_poll(
                settings, database, sources=[server.program("/rss/cs.CV", reply)], clock=FakeClock()
            )
    finally:
        database.dispose()
        store.clear_model_cache()
    assert built_when_asked == [False]
    report = summary.sources[0]
    assert (summary.outcome, report.outcome, report.new_candidates) == ("ok", "fetched", 3)


@pytest.mark.asyncio
async def test_a_model_build_on_a_full_disk_is_one_plain_line_naming_the_disk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """The disk filling after a decision in the service: the build that followed was logged as "relevance: cannot
    build the model after the decisions (the next poll will): (sqlite3.OperationalError) database or disk is full" and
    a second line "(Background on this error at: https://sqlalche.me/e/20/e3q8)", SQLAlchemy's words, no disk named."""
    monkeypatch.setattr(model_refresh, "QUIET_SECONDS", 0.5)
    with mounted_tmpfs(tmp_path / "disk", "24m") as disk:
        settings, ids = folder_with_candidates(disk, 1)
        store.clear_model_cache()
        service = Service(settings)
        await service.start(schedule=False, serve_web=False)
        try:
            assert service.reviewer is not None
            with caplog.at_level(logging.INFO, logger="digest.relevance"):
                await service.reviewer.decide_async(ids[0], "approve", ANN)
                fill_disk(disk)
                await waiting.until(
                    lambda: "cannot build the model after the decisions" in caplog.text,
                    "the failed build's line in the log",
                    BUILD_SECONDS,
                )
        finally:
            await service.stop()
            store.clear_model_cache()
    failed = [record.getMessage() for record in caplog.records if "cannot build the model" in record.getMessage()]
    assert len(failed) == 1 and "\n" not in failed[0], failed
    assert "sqlalche.me" not in failed[0] and f"the disk holding {settings.data_dir} is full" in failed[0], failed
