"""The data folder's cache as `digest` keeps it (the saved relevance model, the shipped papers' encoding), built once
per test run by the real command on a new data folder, and copied into the new data folder of a test that spawns
`digest` for something other than that build. The command takes it as its own earlier build: both files are keyed
on the rules, the code, the list and the decisions, and one kept for other inputs is worked out again, as always.
A build costs a spawned command seconds on this machine (the shipped papers' encoding alone 1.5 s)."""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import sys
from pathlib import Path

from tests.cli_daily import paper_lines
from tests.conftest import ROOT

KEPT = ("relevance-model.pickle", "shipped-encoded.pickle")


def built_once(shared: Path) -> Path:
    """The cache folder `digest score` left in a new data folder under `shared` (a folder every worker of the run
    sees): the first worker to ask builds it, the others wait for it under a lock."""
    place = shared / "kept-model"
    cache = place / "data" / "cache"
    with (shared / "kept-model.lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (place / "built").exists():
            _build(place)
            assert sorted(path.name for path in cache.iterdir()) == list(KEPT)
            (place / "built").touch()
    return cache


def _build(place: Path) -> None:
    shutil.rmtree(place, ignore_errors=True)  # a worker that died mid-build
    place.mkdir()
    papers = place / "papers.jsonl"
    papers.write_bytes(paper_lines(1)[0] + b"\n")
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("DIGEST_", "DISCORD_", "SMTP_"))}
    environment["PYTHONPATH"] = str(ROOT)
    command = [sys.executable, "-m", "digest", "--data-dir", str(place / "data"), "score", str(papers), "--json"]
    done = subprocess.run(command, cwd=place, env=environment, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr


def with_kept_model(data: Path, kept: Path) -> Path:
    """`data`, a data folder without a cache yet (made, private as `digest` makes one, if it is not there), with the
    cache `kept` in it."""
    data.mkdir(mode=0o700, parents=True, exist_ok=True)
    shutil.copytree(kept, data / "cache")
    return data
