"""`digest candidates` groups the candidates by the poll that found them, newest first: a paper no poll found is a
group of its own, whatever poll was running (or was left unfinished by a killed process) when it came."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from pathlib import Path

import pytest

from tests.add_command import API_PATH, HEAT_BATH, recorded
from tests.arxiv_server import ArxivServer, Reply
from tests.cli_runs import as_cron
from tests.kept_model import with_kept_model
from tests.poller_feeds import RELEVANT, feed

ADDED = "1605.08386"  # the paper of the recorded arXiv API answer


@pytest.mark.asyncio
async def test_a_paper_added_by_hand_after_an_unfinished_poll_is_listed_as_the_newest_find(
    tmp_path: Path, kept_model: Path
) -> None:
    """A poll killed mid-run leaves its row without a finish time (and a running poll has none yet): `digest add`
    made after it was taken into that poll's group, listed under the poll's better scored finds as if it were one of
    them, instead of first, as the newest find it is."""
    data = with_kept_model(tmp_path / "data", kept_model)
    async with ArxivServer() as arxiv:
        source = arxiv.program("/rss/cs.CV", Reply(body=feed(*RELEVANT)))
        arxiv.program(API_PATH, recorded(HEAT_BATH))
        config = tmp_path / "config.toml"
        config.write_text(
            f'[arxiv]\ncontact = "m@example.net"\nsources = ["{source}"]\napi_url = "{arxiv.url(API_PATH)}"\n'
            "min_interval_seconds = 0\nmax_retries = 0\n",
            encoding="utf-8",
        )
        options = ["--config", str(config), "--data-dir", str(data)]
        polled = await asyncio.to_thread(as_cron, tmp_path, *options, "poll")
        assert polled.returncode == 0, polled.stderr
        with sqlite3.connect(data / "digest.sqlite3") as connection:  # as a process killed in the poll leaves it
            connection.execute("UPDATE poll_runs SET finished_at = NULL, outcome = 'running'")
        added = await asyncio.to_thread(as_cron, tmp_path, *options, "add", ADDED, "--section", "probing")
        assert added.returncode == 0, added.stderr
    listed = as_cron(tmp_path, *options, "candidates", "--json")
    assert listed.returncode == 0, listed.stderr
    order = [row["arxiv_id"] for row in json.loads(listed.stdout)]
    assert sorted(order) == sorted([*RELEVANT, ADDED])
    assert order[0] == ADDED
    shown = as_cron(tmp_path, *options, "candidates").stdout
    assert shown.index(ADDED) < min(shown.index(arxiv_id) for arxiv_id in RELEVANT)
