"""`digest poll` when the disk fills (RLIMIT_FSIZE in its process): one line that does not claim what is not so,
nothing half-written, and the next poll recovers."""

from __future__ import annotations

import os
import resource
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

from digest.sizes import shown_size
from tests.conftest import ROOT
from tests.kept_model import with_kept_model

FEED = ROOT / "tests/data/arxiv/rss/rss_cs.LG+cs.AI+cs.CL+stat.ML_2026-09-24_trimmed-4items.xml"


def _poll(tmp_path: Path, data: Path, source: Path | str, limit: int | None = None) -> subprocess.CompletedProcess[str]:
    config = tmp_path / "config.toml"
    config.write_text(
        '[arxiv]\nsources = ["http://127.0.0.1:9/unused"]\nmin_interval_seconds = 0\n'
        'api_url = "http://127.0.0.1:9/api/query"\nmax_retries = 0\n',
        encoding="utf-8",
    )
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("DIGEST_", "DISCORD_", "SMTP_"))}
    environment["PYTHONPATH"] = str(ROOT)

    def files_at_most() -> None:
        if limit is not None:
            resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    command = [sys.executable, "-m", "digest", "--config", str(config), "--data-dir", str(data), "poll"]
    return subprocess.run(
        [*command, "--source", str(source)],
        cwd=tmp_path, env=environment, capture_output=True, text=True, timeout=300, preexec_fn=files_at_most,
    )  # fmt: skip


def _stored(data: Path) -> bool:
    """Whether the feed's papers are in the database (the pass's store of them was committed)."""
    with sqlite3.connect(f"file:{data / 'digest.sqlite3'}?mode=ro", uri=True) as connection:
        return bool(connection.execute("SELECT count(*) FROM stream_papers").fetchone()[0])


def _runs(data: Path) -> list[str]:
    with sqlite3.connect(f"file:{data / 'digest.sqlite3'}?mode=ro", uri=True) as connection:
        assert connection.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        return [outcome for (outcome,) in connection.execute("SELECT outcome FROM poll_runs ORDER BY id")]


def test_a_disk_filling_during_digest_poll_says_so_in_one_true_line_and_the_next_poll_recovers(
    tmp_path: Path, kept_model: Path
) -> None:
    """The database's log filling up as the pass recorded its end (after the feed's papers were stored) gave
    "digest: the database could not be written or read: disk I/O error (nothing was changed)": untrue, the feed was
    stored. It now says what the pass stored stays and that the next poll tries again."""
    first = with_kept_model(tmp_path / "first", kept_model)  # the model's build is not what this is about
    _poll(tmp_path, first, tmp_path / "no-such-feed.xml")  # a database to start from
    data = tmp_path / "data"
    # The pass writes the database's log a frame at a time (a 4 KiB page and its 24-byte header: 4,120 bytes), frames 9
    # to 13 past 36,000 bytes; a step under a frame's size puts the limit in each of them in turn, then past them all.
    failed_after_storing: list[int] = []
    for limit in range(36_000, 60_000, 4_000):
        shutil.rmtree(data, ignore_errors=True)
        shutil.copytree(first, data)
        done = _poll(tmp_path, data, FEED, limit)
        said = done.stderr.strip().splitlines()
        assert "Traceback" not in done.stderr, done.stderr
        if done.returncode == 0:
            continue
        if _stored(data):  # the feed's papers went in before the limit was met: the line must not deny it
            assert "nothing was changed" not in said[-1] and "stored before stays" in said[-1], (limit, said)
            failed_after_storing.append(limit)
        assert said[-1].startswith(("digest:", "poll")) or "cannot store" in said[-1], (limit, said)
        again = _poll(tmp_path, data, FEED)
        assert again.returncode == 0, (limit, again.stderr)
        assert _runs(data)[-1] == "ok", limit
    assert failed_after_storing, "no limit was met after the feed was stored: the sweep misses the case it is for"


def test_a_file_size_limit_hit_during_digest_poll_is_named_in_the_error(tmp_path: Path, kept_model: Path) -> None:
    """A process limited to small files (ulimit -f: a systemd LimitFSIZE, a shared host's quota) said only SQLite's
    "disk I/O error", on a disk with room to spare: nothing told the operator what to raise. Each such line now names
    the limit."""
    first = with_kept_model(tmp_path / "first", kept_model)  # the model's build is not what this is about
    _poll(tmp_path, first, tmp_path / "no-such-feed.xml")
    data = tmp_path / "data"
    for limit in (40_000, 50_000):  # the limit met while storing the feed, then while recording the pass's end
        shutil.rmtree(data, ignore_errors=True)
        shutil.copytree(first, data)
        done = _poll(tmp_path, data, FEED, limit)
        failing = [line for line in done.stderr.splitlines() if "disk I/O error" in line]
        assert done.returncode == 1 and failing, (limit, done.stderr)
        assert all(f"files of at most {shown_size(limit)} (ulimit -f)" in line for line in failing), (limit, failing)
        assert _poll(tmp_path, data, FEED).returncode == 0
        assert _runs(data)[-1] == "ok"
