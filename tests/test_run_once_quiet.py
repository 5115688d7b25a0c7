"""`digest run --once` is the poll for cron, and cron mails whatever a job writes: a quiet poll says one line."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from digest.cli import main
from tests.arxiv_server import ArxivServer
from tests.kept_model import with_kept_model


def test_a_quiet_run_once_writes_one_line_and_a_failure_says_why(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], kept_model: Path
) -> None:
    """Every weekday's cron mail carried eight lines for a poll that went well (the secrets' file, Discord off, email
    off, "poll: starting", each feed's line, "stopped"). Now a quiet poll writes its outcome alone; a feed that fails
    still has its warning, and the outcome of a poll that failed is a warning too."""

    async def run_once(*paths: str) -> tuple[int, str, list[str]]:
        async with ArxivServer() as arxiv:
            feed = arxiv.serve_file("/rss/cs.CL", "rss/rss_cs.CL_2026-04-27_trimmed-3items.xml")
            config = tmp_path / "config.toml"
            sources = ", ".join('"' + feed.replace("/rss/cs.CL", path) + '"' for path in paths)
            config.write_text(  # no pause between the runs' requests: a loopback stand-in, not arxiv.org
                f'[arxiv]\ncontact = "m@example.net"\nsources = [{sources}]\nmin_interval_seconds = 0\n'
                'api_url = "http://127.0.0.1:9/api/query"\n',
                encoding="utf-8",
            )
            args = ["--config", str(config), "--data-dir", str(tmp_path / "data"), "run", "--once"]
            status = await asyncio.to_thread(main, args)
        out, err = capsys.readouterr()
        return status, out, err.splitlines()

    # The model a new data folder's first poll builds (the run's kept build; these lines are not about the build).
    with_kept_model(tmp_path / "data", kept_model)
    asyncio.run(run_once("/rss/cs.CL"))  # the first run of a data folder says more: the secrets it generated
    status, out, lines = asyncio.run(run_once("/rss/cs.CL"))
    assert (status, out, len(lines)) == (0, "", 1), lines
    assert lines[0].endswith(" INFO    digest.service: poll: ok: 1 source (1 fetched), 0 new candidates")

    status, out, lines = asyncio.run(run_once("/rss/cs.CL", "/rss/missing"))
    assert (status, out, len(lines)) == (1, "", 2), lines  # the feed that failed, and the outcome
    assert "WARNING" in lines[0] and "/rss/missing" in lines[0]
    assert "partial" in lines[1] and lines[1].endswith("0 new candidates")
    # The outcome of a poll that failed, in part or whole, is a warning as each feed's failure is: it was logged at
    # INFO, and a log read from WARNING up (or a reader skimming for them) saw the feeds fail and no outcome.
    assert " WARNING digest.service: poll: partial: 2 sources (1 broken, 1 fetched)" in lines[1], lines
    status, out, lines = asyncio.run(run_once("/rss/missing"))
    assert (status, out, len(lines)) == (1, "", 2), lines
    assert lines[1].endswith(" WARNING digest.service: poll: failed: 1 source (1 broken), 0 new candidates"), lines
