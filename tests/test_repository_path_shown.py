"""A local repository written with '..' in the settings file (`repository = "../list.git"` beside home/config.toml):
`digest config check` and `digest publish --status` showed it as /tmp/x/home/../list.git. A local path is shown
resolved, as git reaches it; an address stays as written. Through the real command line and a real bare repository."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.config_cmd import clean_environment as clean_environment  # the fixture
from tests.config_cmd import run, write

ADDRESS = "https://example.org/owner/list.git"


def configured(folder: Path, repository: str) -> str:
    return str(write(folder / "home" / "config.toml", f'[publish]\nrepository = "{repository}"\n'))


def test_a_local_repository_is_shown_resolved(clean_environment: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bare = clean_environment / "list.git"
    subprocess.run(["git", "init", "-q", "--bare", str(bare)], check=True)
    config = configured(clean_environment, "../list.git")
    data = str(clean_environment / "data")
    for command in (["config", "check"], ["publish", "--status"]):
        _, out = run(capsys, "--config", config, "--data-dir", data, *command)
        assert str(bare.resolve()) in out and "/../" not in out, (command, out)


def test_an_address_is_shown_as_written(clean_environment: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = configured(clean_environment, ADDRESS)
    _, out = run(capsys, "--config", config, "--data-dir", str(clean_environment / "data"), "config", "check")
    assert f"README.md of {ADDRESS} to branch main" in out
