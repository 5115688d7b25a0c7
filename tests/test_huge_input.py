"""Files far larger than they should be, given to the command line: one line saying so, never a MemoryError."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MEMORY = 2 * 1024**3  # the address space the commands run in: reading without end fails in it


def digest(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The command in a process of its own, its memory capped as a small machine's is (so that reading without limit
    ends in a MemoryError here, as it does there, and not in this machine's swap)."""
    environment = {key: value for key, value in os.environ.items() if not key.startswith(("DIGEST_", "DISCORD_"))}
    environment["PYTHONPATH"] = str(ROOT)
    limit = f"import resource; resource.setrlimit(resource.RLIMIT_AS, ({MEMORY}, {MEMORY}))"
    program = f"{limit}; import sys; from digest.cli import main; sys.exit(main(sys.argv[1:]))"
    return subprocess.run(
        [sys.executable, "-c", program, *args],
        cwd=tmp_path,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_an_endless_config_file_is_one_line_naming_it(tmp_path: Path) -> None:
    """`--config /dev/zero` (a device, a log file given by mistake) was read to its end: a MemoryError traceback."""
    said = "config file /dev/zero is larger than 1 MB"
    check = digest(tmp_path, "--config", "/dev/zero", "--data-dir", str(tmp_path / "data"), "config", "check")
    assert check.returncode == 1 and "Traceback" not in check.stderr, check.stderr
    assert [line for line in check.stdout.splitlines() if line.startswith("problem:")] == [
        f"problem: {said}, which no settings file is: is it the right file?"
    ], check.stdout
    for command in (("config", "show"), ("candidates",)):
        result = digest(tmp_path, "--config", "/dev/zero", "--data-dir", str(tmp_path / "data"), *command)
        assert result.returncode == 2, result.stderr
        assert result.stderr.count("\n") == 1 and said in result.stderr, result.stderr
