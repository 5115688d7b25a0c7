"""What a spawn of `digest` pays for before its command runs, held without a clock (bench/bench_cli.py measures the
times): `list lint` loads no network client, the everyday commands load no code they never run, and they run their
cyclic collector not even once on the way out of the script."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from digest.service.wiring import open_service_database
from tests.cli_runs import modules_imported_by, probe_run
from tests.conftest import make_settings
from tests.factories import insert_candidate, real_papers

NETWORK = ("aiohttp", "yarl", "multidict", "feedparser", "digest.arxiv.api", "digest.arxiv.fetcher")

# What each everyday command never runs, so never loads (each was milliseconds of every spawn: bench/bench_cli.py).
# `candidates` reads the stored list's sections and the candidates: it parses no Markdown, reads no answer of arXiv's
# and renders no template. A decision renders the list and writes it, but reads none in: no importer, and no lint.
# None of them maps the service's state tables beyond the poll's (storage/poll_state.py), nor the Discord bot's
# (storage/bot_state.py): every ORM class is built at import, and configured at the first query.
LIST_TABLES = ("list_meta", "sections", "papers", "entries", "candidates", "decisions")
EVERYDAY_TABLES = {*LIST_TABLES, "feed_state", "list_notices", "poll_runs", "backfill_state"}  # and the poll's
NEVER_LOADED = {
    "candidates": (
        "digest.awesome.parse",
        "digest.arxiv.entries",
        "digest.arxiv.candidates",
        "jinja2",
        "digest.storage.state",
    ),
    "approve": ("digest.awesome.importer", "digest.awesome.lint", "digest.storage.state"),
    "pending": ("digest.awesome.importer", "digest.awesome.lint", "digest.storage.state"),
}

# The real script (`digest.cli:console`, which exits), with the collections counted from the moment its module is
# loaded: on standard error's last line, at exit, after the command has printed everything.
SCRIPT_PROBE = """
import atexit, gc, json, sys
import digest.cli.program
runs = []
gc.callbacks.append(lambda phase, info: runs.append(info["generation"]) if phase == "start" else None)
atexit.register(lambda: print(json.dumps({"collections": runs}), file=sys.stderr))
sys.argv = ["digest", *sys.argv[1:]]
from digest.cli import console
console()
"""


def made(data_dir: Path) -> int:
    """The data folder made, with one real candidate: its id."""
    database = open_service_database(make_settings(data_dir))
    try:
        return insert_candidate(database, real_papers()[0])
    finally:
        database.dispose()


def test_list_lint_of_the_database_or_a_file_loads_no_network_client(data_dir: Path) -> None:
    made(data_dir)
    listed = data_dir / "list.md"
    for argv in (["list", "lint"], ["list", "lint", str(listed)]):
        status, modules = modules_imported_by(data_dir.parent, "--data-dir", str(data_dir), *argv)
        assert status in (0, 1), argv  # the bundled list's findings, if any
        loaded = sorted(name for name in NETWORK if name in modules)
        assert loaded == [], f"digest {' '.join(argv)} imported {loaded}"
        assert "digest.awesome.lint" in modules  # it did lint


@pytest.mark.parametrize("command", sorted(NEVER_LOADED))
def test_an_everyday_command_loads_no_code_it_never_runs(data_dir: Path, command: str) -> None:
    candidate = made(data_dir)
    base = ("--data-dir", str(data_dir))
    if command == "pending":  # a decision to take back
        assert probe_run(data_dir.parent, *base, "approve", str(candidate)).status == 0
    argv = [command] if command == "candidates" else [command, str(candidate)]
    probed = probe_run(data_dir.parent, *base, *argv)
    paper = real_papers()[0]["arxiv_id"]
    assert probed.status == 0
    assert paper in probed.output  # listed, or the decision said of it
    assert (paper in (data_dir / "list.md").read_text(encoding="utf-8")) == (command == "approve")
    loaded = [name for name in NEVER_LOADED[command] if name in probed.modules]
    assert loaded == [], f"digest {command} loaded {loaded}"
    mapped = sorted(set(probed.tables) - EVERYDAY_TABLES)
    assert mapped == [], f"digest {command} mapped {mapped}"
    assert "candidates" in probed.tables


def collections_by_script(folder: Path, *argv: str) -> tuple[int, str, list[int]]:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT_PROBE, *argv],
        cwd=folder,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    report = json.loads(done.stderr.strip().splitlines()[-1])
    return done.returncode, done.stdout, report["collections"]


@pytest.mark.parametrize("command", ["candidates", "approve", "pending"])
def test_the_script_runs_an_everyday_command_without_one_collection(data_dir: Path, command: str) -> None:
    """Paused for the command, the collector was turned on again as main() returned, and its first act then walked
    every object the imports had made (all still its youngest generation) just before the process ended."""
    candidate = made(data_dir)
    if command == "pending":
        assert collections_by_script(data_dir.parent, "--data-dir", str(data_dir), "approve", str(candidate))[0] == 0
    argv = [command] if command == "candidates" else [command, str(candidate)]
    status, output, collections = collections_by_script(data_dir.parent, "--data-dir", str(data_dir), *argv)
    assert status == 0
    listed = real_papers()[0]["arxiv_id"] in (data_dir / "list.md").read_text(encoding="utf-8")
    assert listed == (command == "approve")  # the command did its work: approved into the list, or taken back out
    if command == "candidates":
        assert real_papers()[0]["arxiv_id"] in output
    assert collections == [], f"digest {command} ran {len(collections)} collections"


@pytest.mark.parametrize(
    ("argv", "home"),
    [
        (["config", "check"], "digest.cli.config"),
        (["list", "lint"], "digest.cli.listing"),
        (["score", "--help"], "digest.cli.score"),
        (["weekly", "--help"], "digest.cli.weekly"),
    ],
)
def test_a_command_builds_only_its_own_modules_parsers(data_dir: Path, argv: list[str], home: str) -> None:
    from digest.cli.program import COMMAND_MODULES

    made(data_dir)
    status, modules = modules_imported_by(data_dir.parent, "--data-dir", str(data_dir), *argv)
    assert status in (0, 1), argv  # a finding of config check or lint is still a run
    assert [name for name in modules if name in COMMAND_MODULES] == [home]
