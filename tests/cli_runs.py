"""The set-up of the command line tests: the command as a user runs it (`python -m digest` on a data folder) and as
cron runs it (no terminal, PATH and LANG alone), and the modules a command left imported."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from tests.conftest import ROOT

RSS = "rss/rss_cs.CL_2026-04-27_trimmed-3items.xml"
# What cron gives a job (`env -i PATH=/usr/bin:/bin LANG=C`), and where the checkout under test is.
CRON = {"PATH": "/usr/bin:/bin", "LANG": "C", "PYTHONPATH": str(ROOT)}


def as_cron(cwd: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "digest", *arguments]
    return subprocess.run(
        command, cwd=cwd, env=CRON, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=180, check=False
    )


def polling(tmp_path: Path, sources: list[str]) -> list[str]:
    """The options of a data folder polling `sources` (one try each, no arXiv API): its config written."""
    config = tmp_path / "config.toml"
    config.write_text(
        f'[arxiv]\ncontact = "m@example.net"\nsources = {json.dumps(sources)}\nmin_interval_seconds = 0\n'
        'api_url = "http://127.0.0.1:9/api/query"\nmax_retries = 0\n',
        encoding="utf-8",
    )
    return ["--config", str(config), "--data-dir", str(tmp_path / "data")]


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
models = sys.modules.get("digest.storage.models")
tables = sorted(models.Base.metadata.tables) if models else []
print(json.dumps({"status": status, "modules": sorted(sys.modules), "tables": tables}), file=sys.stderr)
"""


def modules_imported_by(folder: Path, *argv: str) -> tuple[int, list[str]]:
    """The exit status and every module the command left in `sys.modules`."""
    probed = probe_run(folder, *argv)
    return probed.status, probed.modules


@dataclass(frozen=True)
class Probed:
    """What a command run by PROBE did and left loaded."""

    status: int
    output: str  # its standard output
    modules: list[str]  # every module it left in `sys.modules`
    tables: list[str]  # every table it mapped as an ORM class (the schema's metadata), none without the models


def probe_run(folder: Path, *argv: str) -> Probed:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *argv], cwd=folder, capture_output=True, text=True, check=False, timeout=120
    )
    report = json.loads(done.stderr.strip().splitlines()[-1])
    return Probed(report["status"], done.stdout, report["modules"], report["tables"])
