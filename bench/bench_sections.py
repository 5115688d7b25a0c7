"""Section top-1 and top-3 on the development decisions' `yes` papers (../shared/data/decisions-dev.jsonl), split by
time at the median `published` date of the `yes` papers: the first half is where settings may be chosen, the later
half is the check. Cold is the list alone; warm learns the first half's `yes` papers as approvals into their sections
and is measured on the later half. Then the list's own papers held out five folds at a time. Every paper is ranked by
the model's section ranker whatever its tier (replay and leave-one-out count only the flagged ones).

Usage: .venv/bin/python bench/bench_sections.py [--confusion] [--skip-loo]
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.bench_relevance import DECISIONS, bundled_examples, interval  # noqa: E402  (this folder: the same examples and decisions)
from digest.relevance.encoding import encode  # noqa: E402
from digest.relevance.evaluation import leave_one_out  # noqa: E402
from digest.relevance.features import word_vectors  # noqa: E402
from digest.relevance.rules import Words  # noqa: E402
from digest.relevance.scoring import RelevanceModel, build_model, load_rules  # noqa: E402
from digest.relevance.tokeniser import tokens  # noqa: E402
from digest.relevance.types import Feedback, PaperText  # noqa: E402
from digest.review.replay import _list_section  # noqa: E402


def halves() -> tuple[list[dict[str, Any]], list[dict[str, Any]], str]:
    rows = [json.loads(line) for line in DECISIONS.read_text(encoding="utf-8").splitlines()]
    yes = sorted((row for row in rows if row["label"] == "yes"), key=lambda row: row["published"])
    median = yes[len(yes) // 2]["published"]
    return [row for row in yes if row["published"] < median], [row for row in yes if row["published"] >= median], median


def ranked(model: RelevanceModel, title: str, abstract: str) -> list[str]:
    encoded = encode(model.rules, word_vectors(), [PaperText(title, abstract)])
    scored = model.learned.score(encoded.words, encoded.rules)
    title_words = tokens(title)
    return model.ranker.rank(
        encoded.words[0], scored.to_positives[0], Words(title_words + tokens(abstract)), Words(title_words)
    )


def measure(model: RelevanceModel, rows: list[dict[str, Any]], name: str, confusion: bool) -> None:
    top1 = top3 = 0
    wrong: Counter[tuple[str | None, str | None]] = Counter()
    for row in rows:
        wanted = _list_section(model.sections, row["section"])
        found = ranked(model, row["title"], row["abstract"])
        top1 += bool(found) and found[0] == wanted
        top3 += wanted in found[:3]
        if not found or found[0] != wanted:
            wrong[(wanted, found[0] if found else None)] += 1
    count = len(rows)
    print(
        f"{name}: top-1 {top1}/{count} ({top1 / count:.0%}, 95% {interval(top1, count)})"
        f"  top-3 {top3}/{count} ({top3 / count:.0%})"
    )
    for (wanted, got), times in wrong.most_common() if confusion else ():
        print(f"    {times}  wanted {wanted!r}, ranked first {got!r}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--confusion", action="store_true", help="the first half's mistakes (the later half's hidden)")
    parser.add_argument("--skip-loo", action="store_true")
    args = parser.parse_args()
    if not DECISIONS.exists():
        print(f"{DECISIONS} is absent (a user's clone): nothing to measure")
        return 0
    rules, listed = load_rules(ROOT / "feeds"), bundled_examples()
    first, later, median = halves()
    print(f"yes papers: {len(first)} published before {median} (choose here), {len(later)} from it (the check)")
    cold = build_model(rules, listed)
    measure(cold, first, "cold, first half", args.confusion)
    measure(cold, later, "cold, later half", False)
    approvals = [
        Feedback(row["arxiv_id"], row["title"], row["abstract"], True, _list_section(cold.sections, row["section"]))
        for row in first
    ]
    measure(build_model(rules, listed, approvals), later, "warm, later half", False)
    if not args.skip_loo:
        held = leave_one_out(rules, listed, folds=5)
        print(f"list, five folds held out: section right {sum(item.section_right for item in held)}/{len(held)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
