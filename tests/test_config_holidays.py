"""`[arxiv] holidays` written other than as days: a number was read as seconds since 1970, so `holidays = [0]` was
"configuration OK" and listed 1970-01-01 (and 1767225600 New Year 2026), while 20260619 (the day without its dashes),
"tomorrow" or a date with a time said "Input should be a valid date or datetime, input is too short" or "Datetimes
provided to dates should have zero time". Each is now one line naming the item, its value and what to write, and no
command runs on it."""

from __future__ import annotations

from pathlib import Path

import pytest

from digest.cli import main
from tests.config_cmd import clean_environment as clean_environment  # the fixture, shared
from tests.config_cmd import run, write

RULE = "must be a day like 2026-06-19 (YYYY-MM-DD, one the calendar has), not"


@pytest.mark.parametrize(
    ("written", "shown"),
    [
        ("0", "0"),
        ("1767225600", "1767225600"),
        ("20260619", "20260619"),
        ('"20260619"', "'20260619'"),
        ('"tomorrow"', "'tomorrow'"),
        ('"2026-02-30"', "'2026-02-30'"),
        ("2026-06-19T10:00:00", "2026-06-19T10:00:00"),
    ],
)
def test_a_holiday_that_is_no_day_is_one_problem_naming_it_and_no_command_runs(
    clean_environment: Path, capsys: pytest.CaptureFixture[str], written: str, shown: str
) -> None:
    config = write(clean_environment / "config.toml", f"[arxiv]\nholidays = [2026-11-27, {written}]\n")
    data = clean_environment / "data"
    status, out = run(capsys, "--config", str(config), "--data-dir", str(data), "config", "check")
    problems = [line for line in out.splitlines() if line.startswith("problem:")]
    assert status == 1 and problems == [f"problem: arxiv.holidays item 2 {RULE} {shown}"], out
    assert main(["--config", str(config), "--data-dir", str(data), "candidates"]) == 2
    assert capsys.readouterr().err == f"digest: configuration: arxiv.holidays item 2 {RULE} {shown}\n"
    assert not data.exists()


def test_days_written_as_toml_dates_or_strings_are_the_holidays(
    clean_environment: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write(clean_environment / "config.toml", '[arxiv]\nholidays = [2026-06-19, " 2026-11-27 "]\n')
    status, out = run(capsys, "--config", str(config), "--data-dir", str(clean_environment / "data"), "config", "show")
    assert status == 0 and 'holidays = ["2026-06-19", "2026-11-27"]' in out.splitlines(), out
