"""The house style holds: ruff (lint and format) over the project and mypy --strict over the package, its tests and its
benchmarks (pyproject's [tool.mypy] packages)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def run_tool(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", *args], cwd=REPO, capture_output=True, text=True, timeout=300, check=False
    )


def test_ruff_finds_nothing() -> None:
    lint = run_tool("ruff", "check", "--no-cache", ".")
    assert lint.returncode == 0, lint.stdout + lint.stderr
    formatting = run_tool("ruff", "format", "--check", "--no-cache", ".")
    assert formatting.returncode == 0, formatting.stdout + formatting.stderr


def test_mypy_strict_passes_on_the_package_tests_and_benches() -> None:
    """`mypy --no-incremental` with pyproject's settings: digest, tests and bench, so a benchmark whose types went wrong
    is seen here, not the day someone runs `mypy bench` by hand."""
    result = run_tool("mypy", "--no-incremental")
    assert result.returncode == 0, result.stdout + result.stderr
