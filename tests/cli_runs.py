"""The set-up of the command line tests: the command as a user runs it (`python -m digest` on a data folder), and
the modules a command left imported."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT


def digest_command(tmp_path: Path) -> list[str]:
    python = ROOT / ".venv" / "bin" / "python"
    executable = str(python if python.exists() else sys.executable)
    return [executable, "-m", "digest", "--data-dir", str(tmp_path / "data")]


# Runs the real entry point in a fresh interpreter and reports the heavy libraries it imported (on stderr's last
# line, since the command writes to stdout).
PROBE = """
import json, sys
from digest import resources
from digest.cli import main
try:
    status = main(sys.argv[1:])
except SystemExit as exc:
    status = exc.code
print(json.dumps({"status": status, "modules": sorted(sys.modules)}), file=sys.stderr)
"""


def modules_imported_by(folder: Path, *argv: str) -> tuple[int, list[str]]:
    """The exit status and every module the command left in `sys.modules`."""
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *argv], cwd=folder, capture_output=True, text=True, check=False, timeout=120
    )
    report = json.loads(done.stderr.strip().splitlines()[-1])
    return report["status"], report["modules"]
