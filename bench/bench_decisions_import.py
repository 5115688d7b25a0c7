"""Peak memory of `digest decisions import` (plain, --dry-run, --json), a file of 200,000 decisions against 2,000.

Each import is a real subprocess (`digest decisions import FILE`) on a data folder made beforehand; its peak resident
size is read from the kernel (wait4's ru_maxrss). A file read and held whole needs memory in proportion to it: the
ratio is then near the ratio of the files' sizes. Streamed, the big import needs little more than the small one.
Target: the 200k-line import at most 1.5x the peak of the 2k-line one, for each of the three ways of importing (a
dry run and --json list every decision: that list too is written as it is read, not held). Each decision carries
an abstract of about a kilobyte, as arXiv's do.

    .venv/bin/python bench/bench_decisions_import.py [--big 200000] [--small 2000]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET = 1.5
MODES = {"import": (), "--dry-run": ("--dry-run",), "--json": ("--json",), "--json --dry-run": ("--json", "--dry-run")}
ABSTRACT = ("We study how sparse features in a transformer's residual stream explain its behaviour. " * 12).strip()


def write_decisions(path: Path, count: int) -> int:
    """`count` decisions on distinct papers (IDs 1501.00001 on, 99,999 a month), half approve; the file's size."""
    with path.open("w", encoding="utf-8") as out:
        for number in range(count):
            year, month = divmod(number // 99_999, 12)
            arxiv_id = f"{15 + year:02d}{month + 1:02d}.{number % 99_999 + 1:05d}"
            verdict = "approve" if number % 2 else "reject"
            row = {"arxiv_id": arxiv_id, "title": f"Paper {number}", "abstract": ABSTRACT, "decision": verdict}
            out.write(json.dumps(row) + "\n")
    return path.stat().st_size


def peak_rss_mb(data_dir: Path, *args: str) -> float:
    """The peak resident size of one `digest` run, in MB (ru_maxrss is in kilobytes on Linux)."""
    command = [sys.executable, "-c", "from digest.cli import console; console()", "--data-dir", str(data_dir), *args]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=ROOT)
    assert process.stderr is not None
    errors = process.stderr.read()
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise SystemExit(f"digest {' '.join(args)} failed: {errors.decode(errors='replace').strip()}")
    return usage.ru_maxrss / 1024


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--big", type=int, default=200_000)
    parser.add_argument("--small", type=int, default=2_000)
    args = parser.parse_args()
    figures: dict[str, dict[str, tuple[int, int, float]]] = {mode: {} for mode in MODES}
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        for name, count in (("small", args.small), ("big", args.big)):
            size = write_decisions(root / f"{name}.jsonl", count)
            for mode, options in MODES.items():
                data_dir = root / f"data-{name}-{len(figures[mode])}-{mode.replace(' ', '')}"
                peak_rss_mb(data_dir, "decisions", "list")  # the database made and seeded, outside the measurement
                peak = peak_rss_mb(data_dir, "decisions", "import", *options, str(root / f"{name}.jsonl"))
                figures[mode][name] = (count, size, peak)
            (root / f"{name}.jsonl").unlink()
    worst = 0.0
    for mode, sizes in figures.items():
        for name, (count, size, peak) in sizes.items():
            print(f"{mode:>16} {name:>5}: {count:>7} lines, {size / 1e6:7.1f} MB file, peak RSS {peak:7.1f} MB")
        ratio = sizes["big"][2] / sizes["small"][2]
        worst = max(worst, ratio)
        print(f"{mode:>16} ratio of peaks (big / small): {ratio:.2f} (target at most {TARGET})")
    return 0 if worst <= TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
