"""`digest list import` of a big list against parsing the same Markdown alone, in one run.

The list is the bundled one with N more papers in its Sparse Autoencoder section (6,000 by default, as the web stop's
test imports). The command runs in this process as a maintainer runs it (its modules loaded beforehand by an import of
the bundled list elsewhere): into a new data folder, then again with one entry's title edited, then once more
unchanged. Prints each one's processor time and its ratio to one parse_list of the file (best of three); the machines
are shared, so wall time would measure the neighbours too.
Run: .venv/bin/python bench/bench_list_import.py [--entries 6000]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from digest.awesome.parse import parse_list  # noqa: E402
from digest.cli import main as digest_main  # noqa: E402
from digest.resources import seed_list_path  # noqa: E402

HEADING = " Sparse Autoencoder\n([Back to Table of Contents](#table-of-contents))\n\n"
TITLE = "Sparse Features of Vision Language Models Seen Through Their Layers, Heads and Tokens, Read One by One"


def long_list(entries: int) -> str:
    """The bundled list with `entries` more papers (arXiv 2401.10000 on) under one of its headings."""
    bundled = seed_list_path().read_text(encoding="utf-8")
    added = "".join(
        f"+ **Paper {number}** [{TITLE}, Part {number}](https://arxiv.org/abs/2401.{10000 + number}) (Jan. 2, 2024)\n"
        f"  [![arXiv](https://img.shields.io/badge/arXiv-b31b1b.svg)](https://arxiv.org/abs/2401.{10000 + number})\n\n"
        for number in range(entries)
    )
    if HEADING not in bundled:
        raise SystemExit("the bundled list has no Sparse Autoencoder heading to add the papers under")
    return bundled.replace(HEADING, HEADING + added)


def imported(data: Path, path: Path) -> tuple[float, str]:
    """Processor seconds of `digest --data-dir DATA list import PATH`, and its report's first line."""
    out = io.StringIO()
    start = time.process_time()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        status = digest_main(["--data-dir", str(data), "list", "import", str(path)])
    seconds = time.process_time() - start
    if status != 0:
        raise SystemExit(f"digest list import {path} ended with {status}")
    return seconds, out.getvalue().partition("\n")[0]


def parsed(text: str) -> float:
    best = float("inf")
    for _ in range(3):
        start = time.process_time()
        parse_list(text)
        best = min(best, time.process_time() - start)
    return best


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--entries", type=int, default=6000)
    args = parser.parse_args()
    text = long_list(args.entries)
    edited = text.replace(f"Part {args.entries // 2}]", f"Part {args.entries // 2}, Revised]", 1)
    with tempfile.TemporaryDirectory() as folder:
        path, warm = Path(folder) / "list.md", Path(folder) / "warm"
        imported(warm, seed_list_path())  # loads the command's modules: what follows is the list's work
        path.write_text(text, encoding="utf-8")
        parse = parsed(text)
        steps = [("new data folder", *imported(Path(folder) / "data", path))]
        path.write_text(edited, encoding="utf-8")
        steps.append(("one title edited", *imported(Path(folder) / "data", path)))
        steps.append(("unchanged", *imported(Path(folder) / "data", path)))
    print(f"list: {len(text.encode('utf-8')):,} bytes, the bundled list and {args.entries} more entries")
    print(f"{'parse_list':>17}: {parse:7.2f} s")
    for name, seconds, said in steps:
        print(f"{name:>17}: {seconds:7.2f} s  x{seconds / parse:6.1f} a parse  ({said.partition(': ')[2][:64]})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
