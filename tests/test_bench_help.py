"""Every bench and data script under bench/ answers `--help` with its usage and what it measures or makes, and does
nothing else: `bench/bench_poll.py --help` ran the whole bench (minutes) and `make_test_data.py --help` rewrote
fixtures."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

SCRIPTS = sorted(path.name for path in (ROOT / "bench").glob("*.py") if "__main__" in path.read_text(encoding="utf-8"))


WRITTEN_BY_BENCHES = ("bench", "tests/data", "digest/data")  # the folders of the checkout a bench or script writes


def checkout_files() -> dict[str, int]:
    """Each file git sees (tracked, or new and not ignored) in the folders benches write, with when it was written."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z", "--", *WRITTEN_BY_BENCHES],
        cwd=ROOT, capture_output=True, check=True, timeout=60,
    )  # fmt: skip
    paths = [ROOT / name for name in listed.stdout.decode().split("\0") if name]
    return {str(path): path.stat().st_mtime_ns for path in paths if path.exists()}


@pytest.mark.parametrize("script", SCRIPTS)
def test_a_bench_answers_help_with_its_usage_and_does_nothing_else(tmp_path: Path, script: str) -> None:
    home, temporary, cwd = (tmp_path / name for name in ("home", "tmp", "cwd"))
    for folder in (home, temporary, cwd):
        folder.mkdir()
    environment = {"PATH": os.environ["PATH"], "HOME": str(home), "TMPDIR": str(temporary), "PYTHONPATH": str(ROOT)}
    before = checkout_files()
    answer = subprocess.run(
        [sys.executable, str(ROOT / "bench" / script), "--help"],
        cwd=cwd, env=environment, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert (answer.returncode, answer.stderr) == (0, ""), answer.stderr
    assert answer.stdout.startswith(f"usage: {script}"), answer.stdout
    doc = ast.get_docstring(ast.parse((ROOT / "bench" / script).read_text(encoding="utf-8"))) or ""
    assert doc and " ".join(doc.split("\n\n")[0].split()[:8]) in " ".join(answer.stdout.split()), answer.stdout
    assert [list(folder.iterdir()) for folder in (home, temporary, cwd)] == [[], [], []]
    assert checkout_files() == before
