"""A command killed midway through writing a file (kill -9, a power cut) leaves its hidden temporary beside it; the next
command that writes to the data folder removes those old enough to be no write in progress, as `digest run` does at
start-up. Through the real entry point, spawned as a maintainer runs it, on a real SQLite data folder."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

from digest.storage.files import LEFTOVER_AGE_SECONDS
from tests.cli_runs import digest_command


def leftover(path: Path, age: float) -> Path:
    """A temporary of `age` seconds, named as a write aside names it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("half a file", encoding="utf-8")
    then = time.time() - age
    os.utime(path, (then, then))
    return path


def test_digest_weekly_removes_the_temporaries_a_killed_run_left(tmp_path: Path) -> None:
    """A `digest weekly` killed while writing left `data/weekly/.2026-W50.md.XXXXXXXX.tmp` for good: only `digest
    run`'s start-up swept such files, and a data folder used from cron alone kept them. The next `digest weekly`
    removes those past the age of any write in progress (and the data folder's own), and leaves a fresh one alone."""
    data = tmp_path / "data"
    weekly = [*digest_command(tmp_path), "weekly"]
    first = subprocess.run(weekly, capture_output=True, text=True, timeout=180, check=False)
    assert first.returncode == 0, first.stderr  # the data folder made, as a week's run leaves it
    old = LEFTOVER_AGE_SECONDS + 60
    killed_weekly = leftover(data / "weekly" / ".2026-W50.md.k1ll3d_9.tmp", old)
    killed_list = leftover(data / ".list.md.k1ll3d_9.tmp", old)
    in_progress = leftover(data / "weekly" / ".2026-W51.md.wr1t1ng_.tmp", 1)
    done = subprocess.run(weekly, capture_output=True, text=True, timeout=180, check=False)
    assert done.returncode == 0, done.stderr
    assert not killed_weekly.exists() and not killed_list.exists()
    assert in_progress.exists()
