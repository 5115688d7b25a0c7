"""A setting written blank in the settings file is refused in one line by `digest config check` and `digest run`, as
`--host ""` and `--data-dir ""` are on the command line; a variable set blank is unset, as every variable is."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli_runs import CRON

BLANK = {
    'data_dir = ""': (
        "data_dir is empty, which names the working folder: leave it out for the default, or write the path"
    ),
    'database_url = ""': (
        "database_url is empty: leave it out for digest.sqlite3 in the data folder, or write the URL, as "
        "sqlite:////absolute/path/digest.sqlite3"
    ),
    '[web]\nhost = ""': (
        'web.host is empty: leave it out for 127.0.0.1 (this machine only), or write "0.0.0.0" to serve others'
    ),
    '[smtp]\nhost = ""\nrecipients = ["readers@example.org"]': (
        "smtp.host is empty: leave it out to keep email off, or write the mail server, as smtp.example.org"
    ),
    '[smtp]\nhost = "smtp.example.org"\nusername = ""\nrecipients = ["readers@example.org"]': (
        "smtp.username is empty: leave it out to send without a login, or write the mail server's user name"
    ),
    '[publish]\nrepository = ""': (
        "publish.repository is empty: leave it out to keep publishing off, or write the list's git repository URL"
    ),
}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def spawned(cwd: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    """The command as a user runs it; one still running after 60 s started the service the setting should stop."""
    command = [sys.executable, "-m", "digest", *arguments]
    try:
        return subprocess.run(command, cwd=cwd, env=CRON, capture_output=True, text=True, timeout=60, check=False)
    except subprocess.TimeoutExpired:
        pytest.fail(f"`digest {' '.join(arguments)}` started instead of refusing the blank setting")


@pytest.mark.parametrize("written", list(BLANK))
def test_a_blank_setting_in_the_file_is_refused_in_one_line_by_check_and_run(tmp_path: Path, written: str) -> None:
    """`database_url = ""` was SQLite in the data folder, `[web] host = ""` listened on every interface (IPv6's too),
    `[smtp] host = ""` was email off, `[smtp] username = ""` no login and `[publish] repository = ""` publishing off,
    each unsaid, where `--host ""` and `data_dir = ""` were refused."""
    line = BLANK[written]
    config = tmp_path / "config.toml"
    config.write_text(f"{written}\n", encoding="utf-8")
    checked = spawned(tmp_path, "--config", str(config), "config", "check")
    assert checked.returncode == 1, checked.stdout + checked.stderr
    assert [row for row in checked.stdout.splitlines() if row.startswith("problem:")] == [f"problem: {line}"]
    web = f"port = {free_port()}\n" if "[web]" in written else f"\n[web]\nport = {free_port()}\n"  # were it to start
    config.write_text(f"{written}\n{web}", encoding="utf-8")
    started = spawned(tmp_path, "--config", str(config), "run")
    assert (started.returncode, started.stderr) == (2, f"digest: configuration: {line}\n")
    assert sorted(path.name for path in tmp_path.iterdir()) == ["config.toml"]  # no data folder made, nothing written


def test_a_blank_database_variable_is_unset_and_the_data_folder_database_is_used(tmp_path: Path) -> None:
    checked = subprocess.run(
        [sys.executable, "-m", "digest", "config", "check"],
        cwd=tmp_path,
        env={**CRON, "DIGEST_DATABASE_URL": "  "},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert f"database: sqlite:///{tmp_path / 'data' / 'digest.sqlite3'}\n" in checked.stdout
