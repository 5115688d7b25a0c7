"""The set-up of the `digest config check` and `config show` tests: an environment without the digest's variables, a
working folder without a .env file, the command line run with its output read, and files written under tmp_path."""

from __future__ import annotations

from pathlib import Path

import pytest

from digest.cli import main

ROOT = Path(__file__).resolve().parent.parent
VARIABLES = (
    "DIGEST_CONFIG",
    "DIGEST_DATA_DIR",
    "DIGEST_DATABASE_URL",
    "DIGEST_SECRET_KEY",
    "DIGEST_ADMIN_TOKEN",
    "DIGEST_FEED_TOKEN",
    "DISCORD_TOKEN",
    "SMTP_PASSWORD",
)


@pytest.fixture
def clean_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No digest variable from the real environment, and a working folder without a .env file."""
    for name in VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    status = main(list(argv))
    return status, capsys.readouterr().out


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path
