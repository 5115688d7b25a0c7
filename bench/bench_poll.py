"""Speed of one poll pass: a 2000-item feed in arXiv's RSS format built from real haystack papers.

Prints the whole pass (fetch from a local file, parse, score, dedupe, store) against `feedparser.parse` alone on
the same bytes, as a ratio measured in this run (target: at most 1.3x). Needs ../shared/data/arxiv-haystack.jsonl.gz.
"""

from __future__ import annotations

import asyncio
import gzip
import itertools
import json
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import feedparser

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from digest import relevance  # noqa: E402
from digest.app import open_service_database  # noqa: E402
from digest.arxiv import parse_feed  # noqa: E402
from digest.poller import run_poll  # noqa: E402
from tests.conftest import make_settings  # noqa: E402
from tests.feedbuild import build_rss  # noqa: E402

HAYSTACK = ROOT.parent / "shared" / "data" / "arxiv-haystack.jsonl.gz"
ITEMS = 2000
ROUNDS = 3


def main() -> int:
    if not HAYSTACK.exists():
        print(f"bench_poll: {HAYSTACK} is absent; nothing measured")
        return 0
    with gzip.open(HAYSTACK, "rt", encoding="utf-8") as handle:
        records = [json.loads(line) for line in itertools.islice(handle, 0, ITEMS * 20, 20)][:ITEMS]
    data = build_rss("cs.CV", records, date(2026, 4, 27))
    parse_times = []
    for _ in range(ROUNDS):
        start = time.perf_counter()
        feedparser.parse(data)
        parse_times.append(time.perf_counter() - start)
    pass_times = []
    new = 0
    with tempfile.TemporaryDirectory() as tmp:
        feed_path = Path(tmp) / "cs.CV.xml"
        feed_path.write_bytes(data)
        for round_number in range(ROUNDS):
            settings = make_settings(Path(tmp) / f"data{round_number}")
            database = open_service_database(settings)  # a fresh list database each round: every paper is new
            try:
                start = time.perf_counter()
                summary = asyncio.run(run_poll(settings, database, sources=[str(feed_path)]))
                pass_times.append(time.perf_counter() - start)
                new = summary.new_candidates
            finally:
                database.dispose()
        settings = make_settings(Path(tmp) / "score")
        database = open_service_database(settings)
        with database.reading() as session:
            model = relevance.model_for_database(session, settings)
        database.dispose()
        papers = parse_feed(data, "bench").papers
        score_times = []
        for _ in range(ROUNDS):
            start = time.perf_counter()
            for paper in papers:
                model.judge(paper.title, paper.abstract, paper.categories)
            score_times.append(time.perf_counter() - start)
    parse_best, pass_best, score_best = min(parse_times), min(pass_times), min(score_times)
    print(f"feed: {len(records)} real haystack papers, {len(data) / 1e6:.1f} MB; {new} new candidates stored per pass")
    print(
        f"feedparser.parse alone: {parse_best * 1000:.0f} ms; whole pass: {pass_best * 1000:.0f} ms (best of {ROUNDS})"
    )
    print(f"ratio whole pass / feedparser.parse: {pass_best / parse_best:.2f}x (target <= 1.3x)")
    print(
        f"of which scoring (relevance.judge x {len(papers)}): {score_best * 1000:.0f} ms; "
        f"pass without scoring / feedparser.parse: {(pass_best - score_best) / parse_best:.2f}x"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
