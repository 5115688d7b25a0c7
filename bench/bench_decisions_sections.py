"""How much an unknown section name costs `digest decisions import`: a dry run of N decisions each naming a section
the list lacks (every line a bad line), against a dry run of N decisions naming no section, in one run, alternating.

Each name was looked up against the list read afresh from the database (5-13 ms a line: minutes for a wrong file of
200k lines); the list is now read once. Target: the wrong file at most 1.5x the plain one.

    .venv/bin/python bench/bench_decisions_sections.py [--lines 5000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGET = 1.5


def write(path: Path, lines: int, unknown: bool) -> None:
    with path.open("w", encoding="utf-8") as handle:
        for index in range(lines):
            row = {"arxiv_id": f"2401.{index + 10000:05d}", "title": f"Paper {index}", "abstract": "Sparse features."}
            row |= {"decision": "approve", "section": f"No such section {index}"} if unknown else {"decision": "reject"}
            handle.write(json.dumps(row) + "\n")


def timed(data_dir: Path, path: Path) -> float:
    command = [sys.executable, "-m", "digest", "--data-dir", str(data_dir), "decisions", "import", "--dry-run"]
    start = time.perf_counter()
    subprocess.run([*command, str(path)], capture_output=True, check=False)
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--lines", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        data_dir = root / "data"
        subprocess.run([sys.executable, "-m", "digest", "--data-dir", str(data_dir), "candidates"], check=True)
        wrong, plain = root / "wrong.jsonl", root / "plain.jsonl"
        write(wrong, args.lines, unknown=True)
        write(plain, args.lines, unknown=False)
        pairs = [(timed(data_dir, wrong), timed(data_dir, plain)) for _ in range(args.rounds)]
    best_wrong, best_plain = min(w for w, _ in pairs), min(p for _, p in pairs)
    ratio = best_wrong / best_plain
    times = f"unknown sections {best_wrong:.2f} s, no section {best_plain:.2f} s"
    print(f"{args.lines} lines: {times}, best of {args.rounds}")
    print(f"ratio {ratio:.2f}x (target <= {TARGET}x): {'met' if ratio <= TARGET else 'NOT met'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
