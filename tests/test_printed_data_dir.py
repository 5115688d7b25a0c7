"""A command a refusal prints names the data folder (`--data-dir`, absolute) only when the settings file it names does
not: run as printed from another folder, with none of the service's DIGEST_* variables (cron, another shell), it acts
on the service's database. It always said `--data-dir`, naming `data` where nobody had typed it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from digest.cli import main
from tests.factories import real_papers, with_candidates
from tests.printed import printed_command

UNKNOWN = "2101.00001"  # no candidate: the refusal names `digest ... candidates`, which lists them


def refused_listing(capsys: pytest.CaptureFixture[str], argv: list[str]) -> list[str]:
    """The `digest ... candidates` the refusal of approving an unknown paper prints, as a shell splits it."""
    capsys.readouterr()
    assert main([*argv, "approve", UNKNOWN]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"digest: no candidate for arXiv {UNKNOWN}: `digest "), err
    return printed_command(err, "candidates")


def run_elsewhere(tmp_path: Path, printed: list[str]) -> str:
    """`printed` run from a folder of its own, with no DIGEST_* variable: what it writes on stdout."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    environment = {name: value for name, value in os.environ.items() if not name.startswith("DIGEST_")}
    done = subprocess.run(
        [sys.executable, "-m", "digest", *printed[1:]],
        cwd=elsewhere,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert not (elsewhere / "data").exists()  # no new, empty data folder where it ran
    return done.stdout


def test_a_data_folder_the_settings_file_names_is_not_repeated(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    paper = real_papers()[2]
    with_candidates(tmp_path / "state", [paper])
    config = tmp_path / "config.toml"
    config.write_text('data_dir = "state"\n', encoding="utf-8")  # read from the file's folder, wherever one runs
    printed = refused_listing(capsys, ["--config", "config.toml"])
    assert printed == ["digest", "--config", str(config), "candidates"], printed
    assert paper["arxiv_id"] in run_elsewhere(tmp_path, printed)


def test_a_data_folder_the_environment_names_is_printed_absolute(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    paper = real_papers()[2]
    with_candidates(tmp_path / "state", [paper])
    monkeypatch.setenv("DIGEST_DATA_DIR", "state")  # relative: read from the working folder, the service's
    printed = refused_listing(capsys, [])
    assert printed == ["digest", "--data-dir", str(tmp_path / "state"), "candidates"], printed
    assert paper["arxiv_id"] in run_elsewhere(tmp_path, printed)


def test_the_default_data_folder_is_printed_absolute(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """No option, variable or file: ./data of the working folder, which another folder's ./data is not."""
    paper = real_papers()[2]
    with_candidates(data_dir, [paper])
    printed = refused_listing(capsys, [])
    assert printed == ["digest", "--data-dir", str(data_dir), "candidates"], printed
    assert paper["arxiv_id"] in run_elsewhere(tmp_path, printed)
