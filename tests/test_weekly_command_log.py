"""`digest weekly` run by hand logs as the other commands do: each line with its time, level and logger, not as
Python's last resort prints a bare warning."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from digest.service.wiring import open_service_database
from tests.cli_runs import digest_command
from tests.conftest import make_settings


def test_a_weekly_digest_written_by_hand_logs_its_warning_with_time_and_level(tmp_path: Path) -> None:
    """A database restored readable by other users: `digest weekly --dry-run` made it owner-only and said so as
    "/path/data: digest.sqlite3 (mode 0644, now 0600) readable by other users; owner-only now", with no time, level or
    logger (Python's last-resort handler), unlike `digest poll` or `digest publish`. Expected: the service's log
    format, one line."""
    settings = make_settings(tmp_path / "data")
    open_service_database(settings).dispose()
    (settings.data_dir / "digest.sqlite3").chmod(0o644)
    command = [*digest_command(tmp_path), "weekly", "--week", "2026-W40", "--dry-run"]
    done = subprocess.run(command, capture_output=True, text=True, check=True, timeout=120)
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    assert re.fullmatch(
        r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d WARNING +digest\.storage\.db: .*/data: digest\.sqlite3 \(mode 0644, now 0600\)"
        r" readable by other users; owner-only now",
        lines[0],
    ), lines
    assert "# " in done.stdout  # the week's Markdown, as before
