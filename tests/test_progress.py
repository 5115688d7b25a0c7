"""Long commands show a progress bar on a terminal, and nothing of it when their output goes to a file or a pipe."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from digest import resources
from tests.terminal import at_terminal


def run_on_terminal(args: list[str], cwd: Path) -> str:
    """Runs the command with stderr on a pseudo-terminal, as a person at a shell would see it."""
    done, shown = at_terminal([sys.executable, "-m", "digest", *args], cwd, dict(os.environ), timeout=120)
    assert done.returncode == 0, done.stdout
    return shown


def test_list_import_shows_a_progress_bar_on_a_terminal_only(tmp_path: Path) -> None:
    edited = tmp_path / "list.md"
    edited.write_bytes(resources.seed_list_path().read_bytes().replace(b"(Apr. 4, 2025)", b"(Apr. 5, 2025)", 1))
    data = ["--data-dir", str(tmp_path / "data")]
    shown = run_on_terminal([*data, "list", "import", str(edited)], tmp_path)
    assert "import [" in shown and "72/72" in shown

    piped = subprocess.run(
        [sys.executable, "-m", "digest", *data, "list", "import", str(resources.seed_list_path())],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert piped.returncode == 0 and "import [" not in piped.stderr
