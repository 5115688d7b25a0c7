"""A poll no source of which could be reached (no network, a proxy in the way) says which setting points it elsewhere;
one arXiv refused (a 503: arXiv's side, not this machine's) does not send anyone to change their sources."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from digest.cli import main
from tests.arxiv_server import ArxivServer, Reply

CLOSED = "http://127.0.0.1:9"  # the discard port: nothing listens on it here
HINT = "; could not reach 127.0.0.1:9: check the network, or set [arxiv] sources to a mirror (README: 'Configuration')"


def settings_file(tmp_path: Path, *sources: str) -> Path:
    config = tmp_path / "config.toml"
    listed = ", ".join(f'"{source}"' for source in sources)
    config.write_text(
        f'[arxiv]\ncontact = "m@example.net"\nsources = [{listed}]\napi_url = "{CLOSED}/api/query"\n'
        "min_interval_seconds = 0\nmax_retries = 0\n",
        encoding="utf-8",
    )
    return config


def test_a_first_poll_that_reaches_no_source_names_the_setting_that_mends_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """On a machine without network (or behind a proxy), the first poll said "poll failed: 2 sources (2 error), 0 new
    candidates" and nothing pointed at `[arxiv] sources`. `digest poll` and `digest run --once` now end that line
    with the host not reached, what to check and what to set, and where the README says how."""
    config = settings_file(tmp_path, f"{CLOSED}/rss/cs.IR", f"{CLOSED}/rss/cs.LG")
    data = str(tmp_path / "data")
    assert main(["--config", str(config), "--data-dir", data, "poll"]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[-1] == f"poll failed: 2 sources (2 error), 0 new candidates{HINT}", out
    assert main(["--config", str(config), "--data-dir", data, "run", "--once"]) == 1
    err = capsys.readouterr().err.splitlines()
    assert err[-1].endswith(f" WARNING digest.service: poll: failed: 2 sources (2 error), 0 new candidates{HINT}"), err


def test_an_arxiv_that_answers_503_is_not_taken_for_a_network_to_check(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A 503 is arXiv busy: the line says so per source, and does not send the maintainer to a mirror."""

    async def poll() -> int:
        async with ArxivServer() as arxiv:
            busy = arxiv.program("/rss/cs.IR", Reply(status=503))
            config = settings_file(tmp_path, busy)
            return await asyncio.to_thread(main, ["--config", str(config), "--data-dir", str(tmp_path / "d"), "poll"])

    assert asyncio.run(poll()) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[-1] == "poll failed: 1 source (1 error), 0 new candidates", out
