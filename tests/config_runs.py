"""What the configuration tests share: the repository's root, settings loaded from a TOML text, and `digest` run as
the operator runs it, in a process of its own without the test run's DIGEST_/DISCORD_/SMTP_ variables."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from digest.config import Settings, load_settings

ROOT = Path(__file__).resolve().parent.parent


VARIABLES = ("DIGEST_", "DISCORD_", "SMTP_")


def settings_from(tmp_path: Path, toml: str, environ: dict[str, str] | None = None) -> Settings:
    config = tmp_path / "config.toml"
    config.write_text(toml, encoding="utf-8")
    return load_settings(config, tmp_path / "data", environ=environ or {}, load_dotenv_file=False)


def run_digest(tmp_path: Path, *arguments: str, **environ: str) -> subprocess.CompletedProcess[str]:
    environment = {key: value for key, value in os.environ.items() if not key.startswith(VARIABLES)}
    return subprocess.run(
        [sys.executable, "-m", "digest", *arguments],
        cwd=tmp_path,
        env={**environment, **environ},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
