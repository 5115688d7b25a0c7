"""Parse, lint, import and export of a list 50 times the seed's size, against a plain read of the same file, in one run.

The big list repeats the seed's real entries with a copy number added to each title and arXiv ID made unique,
inside the seed's own sections. Prints the time per entry of each step and its ratio to the plain read: processor
time, best of three (the machines are shared: wall time measures the neighbours too).
Run: .venv/bin/python bench/bench_list.py [--copies 50]
"""

from __future__ import annotations

import argparse
import functools
import re
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from digest.awesome import store as liststore  # noqa: E402
from digest.awesome.lint import lint_bytes  # noqa: E402
from digest.awesome.parse import parse_list  # noqa: E402
from digest.resources import seed_list_path, templates_dir  # noqa: E402
from digest.storage.db import open_database  # noqa: E402

_ARXIV = re.compile(r"(arxiv\.org/(?:abs|pdf)/)(\d{4})\.(\d{4,5})")
_TITLE = re.compile(r"^(\+ (?:\*\*[^*]+\*\* )?\[)([^\]]+)\]", re.MULTILINE)


def unique_id(match: re.Match[str], copy: int) -> str:
    """2411.16198 in copy 7 -> 0711.16198: still a well-formed arXiv ID, unique per copy."""
    return f"{match[1]}{copy:02d}{int(match[2]) % 100:02d}.{match[3]}"


def big_list(copies: int) -> tuple[str, int]:
    parsed = parse_list(seed_list_path().read_text(encoding="utf-8"))
    parts = [parsed.preamble]
    entries = 0
    for section in parsed.sections:
        parts.append(section.intro_raw)
        for copy in range(copies):
            for entry in section.entries:
                raw = entry.raw
                if copy:
                    raw = _TITLE.sub(rf"\g<1>\g<2> (copy {copy})]", raw, count=1)
                    raw = _ARXIV.sub(functools.partial(unique_id, copy=copy), raw)
                if not raw.endswith("\n"):
                    raw += "\n"
                parts.append(raw)
                entries += 1
    parts.append(parsed.trailer)
    return "".join(parts), entries


def timed(step: Callable[[], object], repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.process_time()
        step()
        best = min(best, time.process_time() - start)
    return best


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--copies", type=int, default=50)
    args = parser.parse_args()
    text, entries = big_list(args.copies)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "big.md"
        path.write_bytes(text.encode("utf-8"))
        data = path.read_bytes()
        database = open_database(f"sqlite:///{folder}/bench.sqlite3")
        try:
            read = timed(lambda: path.read_bytes().decode("utf-8"), repeat=20)
            parsing = timed(lambda: parse_list(path.read_bytes().decode("utf-8")))
            linting = timed(lambda: lint_bytes(path.read_bytes(), str(path)), repeat=2)
            start = time.process_time()
            with database.transaction() as session:
                report = liststore.import_markdown(session, data, source=str(path))
            first_import = time.process_time() - start

            def reimport() -> None:
                with database.transaction() as session:
                    assert not liststore.import_markdown(session, data, source=str(path)).changed

            def export() -> None:
                with database.reading() as session:
                    assert liststore.render_markdown(session, templates_dir()) == text

            again = timed(reimport)
            rendered = timed(export)
        finally:
            database.dispose()
    print(f"list: {len(data):,} bytes, {entries} entries ({args.copies}x the seed), {report.sections_total} sections")
    for name, seconds in (
        ("plain read", read),
        ("parse_list", parsing),
        ("list lint", linting),
        ("first import", first_import),
        ("re-import", again),
        ("export", rendered),
    ):
        per_entry = seconds / entries * 1e6
        print(f"{name:>13}: {seconds * 1000:9.2f} ms  {per_entry:8.2f} us/entry  x{seconds / read:9.1f} a plain read")
    print("export is byte-identical to the file: yes")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
