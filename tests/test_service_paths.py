"""Running the service over years from the shell: a settings file with relative paths, a restored backup, a full disk.
Each through the command line, as an operator meets it."""

from __future__ import annotations

from pathlib import Path

import pytest

from digest.cli import main

VARIABLES = ("DIGEST_CONFIG", "DIGEST_DATA_DIR", "DIGEST_DATABASE_URL")


@pytest.fixture
def clean_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path


# 4 ------------------------------------------------------------------------------------------------------------------
def test_relative_paths_in_the_config_file_are_read_from_its_folder_wherever_digest_runs(
    clean_environment: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`data_dir = "data"` in /srv/list/digest.toml: `digest --config /srv/list/digest.toml ...` run from the home
    folder made a new, empty data folder (and database) there, while the service had its own beside the config; a
    `digest approve` went into the wrong database. Now a relative path in the file is read from the file's folder."""
    site = clean_environment / "site"
    site.mkdir()
    config = site / "digest.toml"
    config.write_text('data_dir = "data"\n[weekly]\nout_dir = "digests"\n', encoding="utf-8")
    elsewhere = clean_environment / "home"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    assert main(["--config", str(config), "candidates"]) == 0
    assert (site / "data" / "digest.sqlite3").is_file()
    assert not (elsewhere / "data").exists(), "a second data folder was made in the working folder"
    monkeypatch.chdir(site)
    capsys.readouterr()
    assert main(["--config", "digest.toml", "config", "show"]) == 0
    shown = capsys.readouterr().out
    assert str(site / "data") in shown and str(site / "digests") in shown, shown
