"""What a script reads from the commands' `--json`: the same candidate named by the same key in each, so `poll`,
`candidates` and `history` can be joined without guessing."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from pathlib import Path

import pytest

from tests.arxiv_server import ArxivServer, Reply
from tests.cli_runs import as_cron, polling
from tests.kept_model import with_kept_model
from tests.poller_feeds import RELEVANT, feed


def printed(tmp_path: Path, options: list[str], *command: str) -> object:
    done = as_cron(tmp_path, *options, *command)
    assert (done.returncode, done.stderr) == (0, ""), done.stderr
    return json.loads(done.stdout)


@pytest.mark.asyncio
async def test_a_script_joins_poll_candidates_and_history_on_candidate_id(tmp_path: Path, kept_model: Path) -> None:
    """`digest candidates --json` named a candidate `id`, `digest history --json` `candidate_id`, and `digest poll
    --json` listed the new papers by arXiv ID alone: a script approving what a poll found had to ask `candidates` and
    match arXiv IDs. Now `poll` gives `new_candidate_ids` beside `new`, and `candidates` `candidate_id` beside `id`
    (kept for the scripts that read it)."""
    with_kept_model(tmp_path / "data", kept_model)  # the model's build is not what this is about
    async with ArxivServer() as arxiv:
        source = arxiv.program("/rss/cs.CV", Reply(body=feed(*RELEVANT)))
        options = polling(tmp_path, [source])
        poll = await asyncio.to_thread(printed, tmp_path, options, "poll", "--json")
    assert isinstance(poll, dict)
    [report] = poll["sources"]
    found = dict(zip(report["new"], report["new_candidate_ids"], strict=True))
    assert sorted(found) == sorted(RELEVANT)
    with sqlite3.connect(tmp_path / "data" / "digest.sqlite3") as connection:
        stored = dict(connection.execute("SELECT arxiv_id, id FROM candidates").fetchall())
    assert found == stored

    listed = printed(tmp_path, options, "candidates", "--json")
    assert isinstance(listed, list)
    assert {row["arxiv_id"]: row["candidate_id"] for row in listed} == found
    assert all(row["id"] == row["candidate_id"] for row in listed)

    chosen = found[RELEVANT[0]]
    done = as_cron(tmp_path, *options, "approve", str(chosen))
    assert done.returncode == 0, done.stderr
    history = printed(tmp_path, options, "history", "--json")
    assert isinstance(history, list)
    assert [(row["candidate_id"], row["arxiv_id"], row["action"]) for row in history] == [
        (chosen, RELEVANT[0], "approve")
    ]
