"""Numbers, dates and weeks typed on the command line: digits other than 0-9 and values of thousands of characters are
refused as usage errors in one short line, before the data folder is touched."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from digest.cli import main
from tests.cli_runs import digest_command

HUGE = "9" * 5000  # int() itself refuses past 4,300 digits; a message quoting it all is one line of 5 KB


def usage_error(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    with pytest.raises(SystemExit) as stopped:
        main(argv)
    assert stopped.value.code == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and len(err) < 600, err
    return err.splitlines()[-1]


@pytest.mark.parametrize("typed", ["１０", "١٠", "1²", "-１"])
@pytest.mark.parametrize(
    ("command", "option"), [(["backfill", "--since", "2026-01-01"], "--page-size"), (["run"], "--port")]
)
def test_a_number_in_digits_other_than_0_to_9_is_refused_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], typed: str, command: list[str], option: str
) -> None:
    """`--page-size １０` (typed with a fullwidth input method) or `--port ٨٠٨٠` was read as 10 or 8080 without a word,
    where a date or a candidate id in such digits is refused; '1²' was 'invalid int value'. Each now says to write it
    in 0-9."""
    data = tmp_path / "data"
    said = usage_error(["--data-dir", str(data), *command, option, typed], capsys)
    assert f"argument {option}: {typed!r} is written in digits other than 0-9: write it in 0-9" in said, said
    assert not data.exists()


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        (["backfill", "--since", "2026-01-01", "--page-size", HUGE], "is not between 1 and 2000 (arXiv's limit"),
        (["run", "--port", HUGE], "is not a port: give a port from 1 to 65535"),
        (["backfill", "--since", HUGE], "is not a date like 2025-01-31"),
        (["history", "--since", HUGE], "is not a date like 2025-01-31"),
    ],
)
def test_a_value_of_thousands_of_characters_is_quoted_short(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str], said: str
) -> None:
    """`--port` or `--since` given a 5,000-digit value (a variable holding the wrong file's text) printed a usage line
    quoting all of it ('invalid int value' for --page-size); the line now quotes its first 40 characters."""
    data = tmp_path / "data"
    line = usage_error(["--data-dir", str(data), *argv], capsys)
    assert said in line and "9" * 50 not in line, line
    assert not data.exists()


@pytest.mark.parametrize("week", ["２０２６-W４８", "2026-W٤٨"])
def test_a_week_in_digits_other_than_0_to_9_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], week: str
) -> None:
    """`digest weekly --week ２０２６-W４８` was taken for 2026-W48 and wrote that week's files; it is refused as the
    other numbers are, and nothing is written."""
    data = tmp_path / "data"
    assert main(["--data-dir", str(data), "weekly", "--week", week]) == 2
    err = capsys.readouterr().err
    assert err == f"digest: {week!r} is not an ISO week: use YYYY-Www in the digits 0-9, e.g. 2026-W48\n", err
    assert not (data / "weekly").exists()


def test_a_week_of_thousands_of_characters_is_quoted_short(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--data-dir", str(tmp_path / "data"), "weekly", "--week", HUGE]) == 2
    err = capsys.readouterr().err
    assert "is not an ISO week" in err and len(err) < 200, err


@pytest.mark.parametrize("typed", ["1e3", "100.0", "abc", "", "0x10"])
def test_a_page_size_that_is_no_whole_number_says_what_is_allowed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], typed: str
) -> None:
    """`digest backfill --page-size 1e3` said only "invalid int value: '1e3'", not what the option takes; it names the
    value and the range, as a page size out of range does, and nothing is read or made."""
    data = tmp_path / "data"
    said = usage_error(["--data-dir", str(data), "backfill", "--since", "2026-01-01", "--page-size", typed], capsys)
    assert said == (
        f"digest backfill: error: argument --page-size: {typed!r} is not a whole number: give one from 1 to 2000 "
        "(arXiv's limit per request), in the digits 0-9"
    ), said
    assert not data.exists()


def test_a_blank_week_is_refused_not_taken_for_the_last_week(tmp_path: Path) -> None:
    """`digest weekly --week "$WEEK"` with WEEK unset built and wrote the last complete week's file, exit 0, as if
    --week were not given; a blank week is refused as any other that is no ISO week, in one line, and nothing is
    written. Through the real command."""
    done = subprocess.run(
        [*digest_command(tmp_path), "weekly", "--week", ""],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        stdin=subprocess.DEVNULL,
        env={name: value for name, value in os.environ.items() if not name.startswith("DIGEST_")},
    )
    assert (done.returncode, done.stdout) == (2, ""), done
    assert done.stderr == "digest: '' is not an ISO week: use YYYY-Www, e.g. 2026-W48\n", done.stderr
    assert not (tmp_path / "data" / "weekly").exists()
