"""Start-up of the command line, measured side by side in one run against a bare `python -c pass`.

Each command is a real subprocess on a warm data folder (the database made, a model saved, the files in the page
cache) and a warm bytecode cache: the package is compiled first, as installing its wheel does (with
PYTHONDONTWRITEBYTECODE set, as in the container and some shells, an editable checkout would otherwise compile each
of the project's modules from source on every run). The commands: `digest --help`, `digest candidates`,
`digest approve ID` (each followed by an untimed `digest pending ID`, so every approval adds the paper and
regenerates the list), `digest pending ID` and `digest score FILE`. Rounds run the commands in a shuffled order, so
that noise from the shared machine falls on all of them alike; the best of the rounds is kept. Targets: `--help` at
most 5x the bare interpreter; `candidates` and `approve` at most 0.5 s. Beside them, the libraries those two cannot do
without (SQLAlchemy's ORM, pydantic-settings, Jinja2) imported alone: the floor under the 0.5 s, and each command as a
multiple of it (the figure that stays put when the shared machine slows everything down).

    .venv/bin/python bench/bench_cli.py [--rounds 9]
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from digest.service.wiring import open_service_database  # noqa: E402
from tests.conftest import DATA_DIR, make_settings  # noqa: E402
from tests.factories import insert_candidate, real_papers  # noqa: E402

PYTHON = sys.executable
DIGEST = str(Path(PYTHON).parent / "digest")
LIBRARIES = "libraries alone"
FLOOR = ("sqlalchemy.orm", "pydantic_settings", "jinja2")
HELP_RATIO_TARGET = 5.0
SECONDS_TARGET = 0.5


def clean_environment() -> dict[str, str]:
    """The caller's environment without the settings that would point the commands at another folder or service."""
    dropped = ("DIGEST_", "DISCORD_", "SMTP_")
    return {name: value for name, value in os.environ.items() if not name.startswith(dropped)}


def run(command: Sequence[str], folder: Path) -> float:
    started = time.perf_counter()
    done = subprocess.run(command, cwd=folder, env=clean_environment(), capture_output=True, check=False)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"bench_cli: {' '.join(command)} exited {done.returncode}: {done.stderr.decode()[-400:]}")
    return elapsed


def prepare(folder: Path) -> int:
    """A data folder with the bundled list, the real review papers as candidates, and the model saved; one id."""
    settings = make_settings(folder / "data")
    database = open_service_database(settings)
    try:
        ids = [insert_candidate(database, paper) for paper in real_papers()]
    finally:
        database.dispose()
    return ids[0]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rounds", type=int, default=9, help="rounds of every command (default 9)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        candidate = str(prepare(folder))
        digest = [DIGEST, "--data-dir", str(folder / "data")]
        papers = str(DATA_DIR / "review_papers.jsonl")
        commands: dict[str, list[str]] = {
            "python -c pass": [PYTHON, "-c", "pass"],
            # The libraries `approve` cannot do without, imported and nothing else: the floor under its 0.5 s target.
            # With the collector paused and the last walk skipped, as the `digest` script runs its everyday commands.
            LIBRARIES: [PYTHON, "-c", f"import gc; gc.disable(); import {', '.join(FLOOR)}; gc.freeze()"],
            "digest --help": [DIGEST, "--help"],
            "digest candidates": [*digest, "candidates"],
            "digest approve ID": [*digest, "approve", candidate],
            "digest pending ID": [*digest, "pending", candidate],
            "digest score FILE": [*digest, "score", papers],
        }
        run([PYTHON, "-m", "compileall", "-q", str(REPO / "digest")], folder)
        run([*digest, "score", papers], folder)  # trains and saves the model: later runs load it
        best = dict.fromkeys(commands, float("inf"))
        for _ in range(args.rounds):
            order = list(commands)
            random.shuffle(order)
            for label in order:
                if label == "digest pending ID":
                    run(commands["digest approve ID"], folder)  # so that pending has a decision to revert
                best[label] = min(best[label], run(commands[label], folder))
                if label == "digest approve ID":
                    run(commands["digest pending ID"], folder)
    return report(best, args.rounds)


def report(best: dict[str, float], rounds: int) -> int:
    bare, floor = best["python -c pass"], best[LIBRARIES]
    print(f"best of {rounds} rounds, each command a subprocess, paired in shuffled order")
    print(f"{'command':<20} {'seconds':>8} {'x python':>9} {'x libraries':>12}  target")
    print(f"({LIBRARIES}: {', '.join(FLOOR)} imported and nothing else, as the `digest` script imports them)")
    targets: dict[str, tuple[Callable[[float], bool], str]] = {
        "digest --help": (lambda seconds: seconds / bare <= HELP_RATIO_TARGET, f"<= {HELP_RATIO_TARGET:.0f}x"),
        "digest candidates": (lambda seconds: seconds <= SECONDS_TARGET, f"<= {SECONDS_TARGET} s"),
        "digest approve ID": (lambda seconds: seconds <= SECONDS_TARGET, f"<= {SECONDS_TARGET} s"),
    }
    missed = 0
    for label, seconds in best.items():
        line = f"{label:<20} {seconds:>8.3f} {seconds / bare:>8.1f}x {seconds / floor:>11.2f}x"
        if label in targets:
            meets, shown = targets[label]
            missed += not meets(seconds)
            line += f"  {shown}: {'met' if meets(seconds) else 'MISSED'}"
        print(line)
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
