"""Odd values on the command line that were taken or refused unlike their kind: a candidate's number with space
around it, the number 0, an address to listen on that no machine has. Through the real entry point."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from digest.cli import main
from tests.cli_daily import one_candidate
from tests.factories import real_papers


def statuses(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> list[str]:
    assert main(["--data-dir", str(data_dir), "candidates", "--json"]) == 0
    return [row["status"] for row in json.loads(capsys.readouterr().out)]


def test_a_candidate_number_with_space_around_it_is_taken_as_an_arxiv_id_is(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`digest approve " 3 "` (a number quoted with its space in a script) was refused as "not a candidate id" while
    `digest approve " 2505.16146 "` worked; approve, pending and reject take it as the number, and history's date
    likewise."""
    candidate_id = one_candidate(data_dir)
    arxiv_id = real_papers()[0]["arxiv_id"]
    for command, number in (
        ("approve", f" {candidate_id} "),
        ("pending", f"\t{candidate_id}\n"),
        ("reject", f"{candidate_id} "),
    ):
        assert main(["--data-dir", str(data_dir), command, number]) == 0, capsys.readouterr().err
        said = capsys.readouterr()
        assert said.out.startswith(f"candidate {candidate_id} ({arxiv_id}): "), said
        # The approved paper taken out of the list again (pending) is what was asked for: the longer list is kept,
        # said at INFO (no WARNING on standard error at every undo).
        assert said.err.splitlines() == [], said
    assert main(["--data-dir", str(data_dir), "history", "--since", " 2000-01-01 "]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[3:5] for line in lines] == [[str(candidate_id), arxiv_id]] * 3, lines
    assert statuses(data_dir, capsys) == ["rejected"]


@pytest.mark.parametrize("command", ["approve", "reject", "pending"])
def test_candidate_number_0_is_a_usage_error_that_changes_nothing(
    data_dir: Path, capsys: pytest.CaptureFixture[str], command: str
) -> None:
    """`digest approve 0` exited 1 with "no candidate with id 0", as for a number that might have been one; no candidate
    is ever 0, so it is a usage error (exit 2) naming the value and what is allowed."""
    one_candidate(data_dir)
    assert main(["--data-dir", str(data_dir), command, "0"]) == 2
    said = capsys.readouterr()
    assert said.out == ""
    assert said.err == (
        f"digest {command}: '0' is not a candidate id: give its number (from 1, in the digits 0-9) or its paper's "
        "arXiv ID\n"
    )
    assert statuses(data_dir, capsys) == ["pending"]


@pytest.mark.parametrize("host", ["999.1.1.1", "256.0.0.1", "1.2.3", "foo bar", "host_name", "x-.example"])
def test_an_address_no_machine_has_is_a_usage_error_before_anything_starts(
    data_dir: Path, capsys: pytest.CaptureFixture[str], host: str
) -> None:
    """`digest run --host 999.1.1.1` started the service, failed at bind() with "Name or service not known" and exited
    1, as a failure would; it is a usage error (exit 2) in one line naming the value and what is allowed."""
    with pytest.raises(SystemExit) as stopped:
        main(["--data-dir", str(data_dir), "run", "--host", host, "--port", "9"])
    assert stopped.value.code == 2
    err = capsys.readouterr().err
    assert err.splitlines()[-1] == (
        f"digest run: error: argument --host: {host!r} is no address to listen on: give an IP address (as 127.0.0.1, "
        "0.0.0.0 or ::1) or a host name"
    )
    assert not data_dir.exists()


def test_a_settings_file_host_no_machine_has_is_a_settings_problem(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`[web] host = "999.1.1.1"` passed `digest config check` and failed the start at bind() (exit 1); the check lists
    it and `digest run` stops with that line, exit 2."""
    config = data_dir.parent / "config.toml"
    config.write_text('[web]\nhost = "999.1.1.1"\n', encoding="utf-8")
    line = (
        "web.host '999.1.1.1' is no address to listen on: give an IP address (as 127.0.0.1, 0.0.0.0 or ::1) or a host "
        "name"
    )
    assert main(["--config", str(config), "--data-dir", str(data_dir), "config", "check"]) == 1
    assert f"problem: {line}\n" in capsys.readouterr().out
    assert main(["--config", str(config), "--data-dir", str(data_dir), "run", "--port", "9"]) == 2
    assert capsys.readouterr().err == f"digest: configuration: {line}\n"


@pytest.mark.parametrize("host", ["localhost", "::1", "127.0.0.1", "digest.example.org."])
def test_an_address_or_host_name_still_passes_the_check(host: str) -> None:
    from digest.config.hosts import listening_host_problem

    assert listening_host_problem(host) is None
