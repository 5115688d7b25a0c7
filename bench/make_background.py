"""Developer script (not shipped): draws the background sample the relevance model ships with from the haystack.

A seeded random sample of arXiv papers from before February 2025 (the development period; later papers are kept for
the check made from outside), none of them in the list. Half trains the model as negatives ("train"), half stands
for the unlabelled stream a new data folder calibrates its review budget on ("calibrate"). Nothing here reads a label.

`--before YYMM` draws only from papers with IDs before that month (default 2502, the shipped sample). An earlier month
makes a background strictly older than the development period's later half, as the shipped sample is older than the
papers the check from outside judges; written over the shipped files, so do it in a scratch worktree.

Usage: .venv/bin/python bench/make_background.py [--size 5000] [--before 2502]
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.shared_data import DATA  # noqa: E402  (this folder)

HAYSTACK = DATA / "arxiv-haystack.jsonl.gz"
TARGET = ROOT / "digest" / "data" / "relevance_background.jsonl.gz"
CURATED = ROOT / "digest" / "data" / "curated_papers.jsonl"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", type=int, default=5000)
    parser.add_argument("--before", default="2502", help="only papers with arXiv IDs before this YYMM")
    args = parser.parse_args()
    if not HAYSTACK.exists():
        print(f"{HAYSTACK} is absent: nothing to draw from", file=sys.stderr)
        return 1
    listed = {json.loads(line)["arxiv_id"] for line in CURATED.open(encoding="utf-8") if line.strip()}
    with gzip.open(HAYSTACK, "rt", encoding="utf-8") as handle:
        pool = [
            row
            for row in map(json.loads, handle)
            if row["arxiv_id"] < args.before and row["arxiv_id"][:2].isdigit() and row["arxiv_id"] not in listed
        ]
    pool.sort(key=lambda row: row["arxiv_id"])
    sample = random.Random(20250201).sample(pool, args.size)
    with gzip.GzipFile(TARGET, "wb", mtime=0) as raw:
        for index, row in enumerate(sorted(sample, key=lambda row: row["arxiv_id"])):
            record = {
                "arxiv_id": row["arxiv_id"],
                "title": row["title"],
                "abstract": row["abstract"],
                "role": "train" if index % 2 == 0 else "calibrate",
            }
            raw.write((json.dumps(record, ensure_ascii=False) + "\n").encode("utf-8"))
    print(f"wrote {args.size} papers to {TARGET.relative_to(ROOT)}")
    write_word_vectors()
    return 0


def write_word_vectors() -> None:
    """The vocabulary and idf fitted by scikit-learn on the new sample and the bundled list, shipped beside it."""
    from digest.relevance.features import WORD_VECTORS_FILE, background_sample, fit_word_vectors, word_corpus

    background_sample.cache_clear()
    vectors = fit_word_vectors(word_corpus())
    path = TARGET.parent / WORD_VECTORS_FILE
    with gzip.GzipFile(path, "wb", mtime=0) as raw:
        raw.write(json.dumps(vectors.to_json(), ensure_ascii=False).encode("utf-8"))
    print(f"wrote {len(vectors.vocabulary)} terms to {path.relative_to(ROOT)}")


if __name__ == "__main__":
    raise SystemExit(main())
