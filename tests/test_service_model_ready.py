"""`digest run` says in its log when its relevance model is ready for scoring, whether it was built or loaded from the
data folder's cache, and how long that took: a maintainer watching a start sees when scoring is up."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.arxiv_server import ArxivServer
from tests.conftest import make_settings
from tests.service_runs import (
    killed_if_running,
    pretend_the_machine_was_off,
    said_by,
    spawned_service,
    stopped,
)

READY = re.compile(r" INFO +digest\.poller: relevance model ready \((built|loaded) in \d+\.\d s\)$")


def ready_lines(log: Path) -> list[str]:
    """How the model came to be ready, each time the log said so."""
    lines = log.read_text(encoding="utf-8").splitlines()
    return [found.group(1) for found in map(READY.search, lines) if found is not None]


@pytest.mark.asyncio
async def test_the_service_says_when_its_model_is_ready_and_how(tmp_path: Path) -> None:
    """A new data folder's first poll builds the model, the next start's poll loads what the first saved; each says
    so once, with the time it took. Before, nothing said when scoring was up."""
    said = []
    async with ArxivServer() as arxiv:
        feed = arxiv.serve_file("/rss/cs.CL", "rss/rss_cs.CL_2026-04-27_trimmed-3items.xml")
        for start in range(2):
            if start:  # the scheduled poll is due again at the next start
                config = (tmp_path / "config.toml").read_text(encoding="utf-8")
                pretend_the_machine_was_off(make_settings(tmp_path / "data", config), "poll")
            service, log = spawned_service(tmp_path, feed)
            try:
                await said_by(service, log, "start-up: caught up")  # its poll has run
                assert await stopped(service) == 0, log.read_text(encoding="utf-8")
            finally:
                killed_if_running(service)
            said.append(ready_lines(log))
    assert said == [["built"], ["loaded"]], said
