"""A poll no source of which could be reached (no network, a proxy in the way) says which setting points it elsewhere;
one arXiv refused (a 503: arXiv's side, not this machine's) does not send anyone to change their sources, nor one
whose server took the connection and never answered (slow: no network to check)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from digest.cli import main
from tests.arxiv_server import ArxivServer, Reply
from tests.hanging_listener import unanswered_connects
from tests.silent_smtp import silent_smtp_server

CLOSED = "http://127.0.0.1:9"  # the discard port: nothing listens on it here
HINT = "; could not reach 127.0.0.1:9: check the network, or set [arxiv] sources to a mirror (README: 'Configuration')"


def settings_file(tmp_path: Path, *sources: str, timeout: float = 30.0) -> Path:
    config = tmp_path / "config.toml"
    listed = ", ".join(f'"{source}"' for source in sources)
    config.write_text(
        f'[arxiv]\ncontact = "m@example.net"\nsources = [{listed}]\napi_url = "{CLOSED}/api/query"\n'
        f"min_interval_seconds = 0\nmax_retries = 0\ntimeout_seconds = {timeout}\n",
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


def test_a_poll_whose_arxiv_takes_the_connection_and_never_answers_says_it_is_slow_not_the_network(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """arXiv slow to answer (the connection made, no answer within [arxiv] timeout_seconds) ended the poll's line with
    "could not reach HOST: check the network, or set [arxiv] sources to a mirror": the maintainer went looking at a
    network that worked. The line says the host took the connection and did not answer within the timeout, and sends
    no one to the network or a mirror; the source's line says so too, and the second feed on that host is not asked."""
    with silent_smtp_server() as server:  # takes the connection, says nothing
        silent = f"http://127.0.0.1:{server.port}"
        config = settings_file(tmp_path, f"{silent}/rss/cs.IR", f"{silent}/rss/cs.LG", timeout=1)
        assert main(["--config", str(config), "--data-dir", str(tmp_path / "data"), "poll"]) == 1
    host = silent.removeprefix("http://")
    out = capsys.readouterr().out.splitlines()
    assert out[-1] == (
        f"poll failed: 2 sources (2 error), 0 new candidates; {host} took the connection but did not answer within "
        "1 s: the server is slow, not the network; the next poll asks again (or raise [arxiv] timeout_seconds)"
    ), out
    assert f"{silent}/rss/cs.IR: error (connected, but no answer within 1 s after 1 attempt)" in out, out
    assert f"{silent}/rss/cs.LG: error (not tried, {host} did not answer in time (arXiv slow to answer))" in out, out
    assert not any("check the network" in line or "could not reach" in line for line in out), out


def test_a_poll_whose_connection_is_never_made_in_time_still_names_the_network_and_the_mirror_setting(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A connection that times out before it is made (a firewall dropping it, a network out of reach) is this side's
    to check: that poll keeps the clause naming the network and `[arxiv] sources`."""
    with unanswered_connects() as port:
        config = settings_file(tmp_path, f"http://127.0.0.1:{port}/rss/cs.IR", timeout=1)
        assert main(["--config", str(config), "--data-dir", str(tmp_path / "data"), "poll"]) == 1
    host = f"127.0.0.1:{port}"
    out = capsys.readouterr().out.splitlines()
    assert out[-1] == (
        f"poll failed: 1 source (1 error), 0 new candidates; could not reach {host}: check the network, or set "
        "[arxiv] sources to a mirror (README: 'Configuration')"
    ), out


def test_a_poll_whose_one_host_is_out_of_reach_and_other_slow_says_both(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """One source's port closed (not reached) and another's arXiv slow to answer: each clause was said only when every
    source failed that way, so this poll, which reached nothing, ended its line with neither. It names both: the host
    not reached with the network and the mirror setting, and the slow one with the timeout."""

    async def poll() -> int:
        async with ArxivServer() as arxiv:
            slow = arxiv.program("/rss/cs.LG", Reply(delay_seconds=5))
            config = settings_file(tmp_path, f"{CLOSED}/rss/cs.IR", slow, timeout=1)
            return await asyncio.to_thread(main, ["--config", str(config), "--data-dir", str(tmp_path / "d"), "poll"])

    assert asyncio.run(poll()) == 1
    out = capsys.readouterr().out.splitlines()
    host = next(line for line in out if "/rss/cs.LG: error" in line).split("/rss/")[0].removeprefix("http://")
    assert out[-1] == (
        f"poll failed: 2 sources (2 error), 0 new candidates{HINT}; {host} took the connection but did not answer"
        " within 1 s: the server is slow, not the network; the next poll asks again (or raise [arxiv] timeout_seconds)"
    ), out
