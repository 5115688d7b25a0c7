"""`--json` where a user writes it: after `digest` (`digest --json candidates`) as after the command, through the real
`digest` process; a command that prints no report says so in one line."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from tests.arxiv_server import ArxivServer, Reply
from tests.cli_runs import as_cron, polling
from tests.kept_model import with_kept_model
from tests.poller_feeds import RELEVANT, feed

# Every command taking --json that reads without changing anything and needs no file.
READING = [
    ["candidates"],
    ["history"],
    ["config", "show"],
    ["config", "check"],
    ["list", "lint"],
    ["decisions", "list"],
]


@pytest.mark.asyncio
async def test_json_before_the_command_or_its_action_prints_what_json_after_it_does(
    tmp_path: Path, kept_model: Path
) -> None:
    """`digest --json candidates` was a usage error (exit 2, "unrecognized arguments: --json"): only
    `digest candidates --json` worked, though `--json` reads like the global option it is for a script. Between a
    command group and its action (`digest config --json show`) it is taken too."""
    with_kept_model(tmp_path / "data", kept_model)
    async with ArxivServer() as arxiv:
        source = arxiv.program("/rss/cs.CV", Reply(body=feed(*RELEVANT)))
        options = polling(tmp_path, [source])
        before = await asyncio.to_thread(as_cron, tmp_path, *options, "--json", "poll")
    assert before.returncode == 0, before.stderr
    assert sorted(json.loads(before.stdout)["sources"][0]["new"]) == sorted(RELEVANT)
    for command in READING:
        after = as_cron(tmp_path, *options, *command, "--json")
        first = as_cron(tmp_path, *options, "--json", *command)
        assert (first.returncode, first.stdout, first.stderr) == (after.returncode, after.stdout, after.stderr), command
        # `digest config --json show` was refused: "unrecognized arguments: --json".
        between = as_cron(tmp_path, *options, *command[:1], "--json", *command[1:])
        assert (between.returncode, between.stdout, between.stderr) == (after.returncode, after.stdout, after.stderr)
        assert isinstance(json.loads(first.stdout), list | dict), command
    listed = json.loads(as_cron(tmp_path, *options, "--json", "candidates").stdout)
    assert sorted(row["arxiv_id"] for row in listed) == sorted(RELEVANT)


def test_json_given_to_a_command_without_a_report_is_one_clear_line(tmp_path: Path) -> None:
    done = as_cron(tmp_path, "--data-dir", str(tmp_path / "data"), "--json", "approve", "1")
    assert done.returncode == 2
    assert done.stderr.splitlines()[-1] == (
        "digest approve: error: --json: this command prints no report (see `digest --help` for those that take it)"
    )
    assert json.loads(done.stdout)["exit_status"] == 2
    assert not (tmp_path / "data" / "digest.sqlite3").exists()  # refused before anything was done
