"""Developer script (not shipped): draws the small real-data fixtures the relevance tests use from ../shared/data.

- tests/data/replay_fixture.jsonl.gz: twelve weeks of the development decisions (October 2024 to January 2025,
  judged by hand: label and section) with up to 150 other haystack papers of each week (label null).
- tests/data/stream_sample.jsonl.gz: 2,500 haystack papers from before February 2025 for the budget tests.
Neither holds a paper of the shipped background sample or of the list.

Usage: .venv/bin/python bench/make_test_data.py
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import sys
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.shared_data import DATA  # noqa: E402  (this folder)
from digest.relevance.features import background_sample  # noqa: E402

OUT = ROOT / "tests" / "data"
FIRST, LAST = "2024-10-07", "2024-12-29"


def write(path: Path, rows: list[dict[str, object]]) -> None:
    with gzip.GzipFile(path, "wb", mtime=0) as raw:
        for row in rows:
            raw.write((json.dumps(row, ensure_ascii=False) + "\n").encode("utf-8"))
    print(f"wrote {len(rows)} papers to {path.relative_to(ROOT)}")


def main() -> int:
    judged = {row["arxiv_id"]: row for row in map(json.loads, (DATA / "decisions-dev.jsonl").open(encoding="utf-8"))}
    listed = {
        json.loads(line)["arxiv_id"] for line in (ROOT / "digest/data/curated_papers.jsonl").open() if line.strip()
    }
    excluded = {paper.arxiv_id for paper in background_sample()} | listed
    with gzip.open(DATA / "arxiv-haystack.jsonl.gz", "rt", encoding="utf-8") as handle:
        pool = [
            row
            for row in map(json.loads, handle)
            if row["arxiv_id"] not in excluded and row["arxiv_id"] < "2502" and row["arxiv_id"][:2].isdigit()
        ]
    pool.sort(key=lambda row: row["arxiv_id"])
    keep = ("arxiv_id", "title", "abstract", "published")
    fixture = [
        {**{key: row[key] for key in keep}, "label": row["label"], "section": row.get("section")}
        for row in judged.values()
        if FIRST <= row["published"] <= LAST
    ]
    by_week: dict[tuple[int, int], list[dict[str, object]]] = {}
    for row in pool:
        if row["arxiv_id"] not in judged and FIRST <= row["published"] <= LAST:
            by_week.setdefault(date.fromisoformat(row["published"]).isocalendar()[:2], []).append(row)
    for week, rows in sorted(by_week.items()):
        chosen = random.Random(f"{week}").sample(rows, min(150, len(rows)))
        fixture += [{**{key: row[key] for key in keep}, "label": None, "section": None} for row in chosen]
    write(OUT / "replay_fixture.jsonl.gz", sorted(fixture, key=lambda row: (row["published"], row["arxiv_id"])))
    sample = random.Random(25).sample(pool, 2500)  # judged or not: a stream as it comes (no label is kept)
    write(OUT / "stream_sample.jsonl.gz", [{key: row[key] for key in keep} for row in sample])
    return 0


if __name__ == "__main__":
    argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter).parse_args()
    raise SystemExit(main())
