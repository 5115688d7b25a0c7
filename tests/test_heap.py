"""The service's long-lived objects are frozen out of the collector's walks at start and after each poll, and
freezing never keeps garbage: a cycle that dies after one settle is freed by the next."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator
from pathlib import Path

import pytest

from digest import heap
from digest.relevance.stream import model_for_database
from digest.service.process import Service
from tests.arxiv_server import ArxivServer
from tests.conftest import make_settings


@pytest.fixture(autouse=True)
def thawed_afterwards() -> Iterator[None]:
    yield
    gc.unfreeze()  # the rest of the test run collects as usual


class Node:
    def __init__(self) -> None:
        self.me = self  # a cycle: only the collector frees it


def test_a_cycle_frozen_while_alive_is_freed_once_it_dies() -> None:
    node = Node()
    alive = weakref.ref(node)
    assert heap.settle() > 0
    del node
    gc.collect()  # a frozen cycle is out of the collector's walks
    assert alive() is not None
    heap.settle()  # thawed, collected, frozen again: the dead cycle is gone
    assert alive() is None


def test_garbage_is_collected_before_the_freeze() -> None:
    node = Node()
    dead = weakref.ref(node)
    del node
    heap.settle()
    assert dead() is None


@pytest.mark.asyncio
async def test_the_service_freezes_what_start_up_and_each_poll_leave(tmp_path: Path) -> None:
    async with ArxivServer() as arxiv:
        feed = arxiv.serve_file("/rss/cs.CL", "rss/rss_cs.CL_2026-04-27_trimmed-3items.xml")
        settings = make_settings(
            tmp_path / "data",
            f'[arxiv]\nsources = ["{feed}"]\nmin_interval_seconds = 0.01\napi_url = "http://127.0.0.1:9/api/query"\n',
        )
        service = Service(settings)
        gc.unfreeze()
        await service.start(schedule=False, serve_web=False)
        try:
            after_start = gc.get_freeze_count()
            gc.unfreeze()
            outcome = await service.poll("schedule")
            assert service.database is not None
            with service.database.reading() as session:
                model = model_for_database(session, settings)  # the one the poll built and kept
            learned = model.learned  # shared by every copy of the model with its thresholds
            frozen = not any(thing is learned for thing in gc.get_objects())  # the collector walks no frozen object
        finally:
            await service.stop()
    assert outcome == "ok"
    # Start-up leaves the libraries' modules and classes; a poll freezes the model it built. (Not a count after the
    # poll against one after start: a model an earlier test left in this process is freed by the poll, and the count
    # may fall although the new model is frozen.)
    assert after_start > 10_000
    assert frozen
