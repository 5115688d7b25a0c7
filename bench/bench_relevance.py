"""Relevance measured by time: a replay of the development decisions (../shared/data/decisions-dev.jsonl, papers
from before February 2025 judged by hand) week by week, cold (the list alone) beside warm (learning from every
decision the replay makes), reported on the second half of the period; then the list's own papers held out five
folds at a time (a secondary figure) and the scoring speed. All figures come from one run.

The stream of a week is its judged papers plus that week's other haystack papers (a seeded sample of at most
--others; none of them in the list or the shipped background sample; only papers from before 2502). Only flagged
papers get a decision: `yes` approved into its section, the rest rejected, through Reviewer.decide.

The haystack is thin in the measured half (about 400 papers a week), so `yes` papers are 0.40% of its stream, against
about 0.155% in the stream of the check made from outside (issue 16: recall 0.74 with 0.52% flagged, 22% of them
`yes`). The same budget therefore flags fewer papers per `yes` here. The replay is run a second time at that density:
each measured week is padded with unjudged papers of the first half (copies under unused arXiv IDs, dated in the
week; none that the replay had decided by then, so the model never saw a verdict on them). Both are reported.

Changes are chosen on `--tune`: the first half of the weeks (April to mid-October 2024) replayed alone and all of it
measured (29 `yes`; warm learns from the decisions as the weeks go, so early weeks are nearly cold); the default
report's weeks, from mid-October 2024 on, are then the check the change was not chosen on.

Usage: .venv/bin/python bench/bench_relevance.py [--others 2000] [--skip-cold] [--density 0.00155 | --density 0]
                                                [--tune]
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scipy.stats import binomtest  # noqa: E402
from sqlalchemy import select  # noqa: E402

from bench.shared_data import DATA  # noqa: E402  (this folder)
from digest import resources  # noqa: E402
from digest.cli.score import score_lines  # noqa: E402
from digest.config import load_settings  # noqa: E402
from digest.relevance.evaluation import leave_one_out  # noqa: E402
from digest.relevance.features import background_sample  # noqa: E402
from digest.relevance.gathering import list_examples  # noqa: E402
from digest.relevance.scoring import load_rules  # noqa: E402
from digest.relevance.types import LabeledPaper  # noqa: E402
from digest.review.replay import ReplayPaper, ReplayReport, replay, weeks_of  # noqa: E402
from digest.service.wiring import open_service_database  # noqa: E402
from digest.storage.db import Database  # noqa: E402
from digest.storage.models import Candidate  # noqa: E402

HAYSTACK = DATA / "arxiv-haystack.jsonl.gz"
DECISIONS = DATA / "decisions-dev.jsonl"
OUTSIDE_YES_SHARE = 0.00155  # `yes` papers in the outside check's stream: 0.74 x share / 0.52% flagged x 22%


def bundled_examples() -> list[LabeledPaper]:
    """The positive examples of a new data folder: the bundled list's papers with their abstracts."""
    with tempfile.TemporaryDirectory() as folder:
        settings = load_settings(None, Path(folder) / "data", environ={}, load_dotenv_file=False)
        database = open_service_database(settings)
        with database.reading() as session:
            examples = list_examples(session)
        database.dispose()
    return examples


def development_data(others_per_week: int) -> tuple[list[LabeledPaper], list[ReplayPaper]] | None:
    """The bundled list's examples and the replay's stream (stream()); None, said in one line, when ../shared/data is
    absent (a user's clone)."""
    if not HAYSTACK.exists() or not DECISIONS.exists():
        print(f"{DATA} is absent (a user's clone): nothing to measure")
        return None
    examples = bundled_examples()
    return examples, stream(others_per_week, {example.arxiv_id for example in examples if example.arxiv_id})


def stream(others_per_week: int, listed: set[str]) -> list[ReplayPaper]:
    judged = {row["arxiv_id"]: row for row in map(json.loads, DECISIONS.read_text(encoding="utf-8").splitlines())}
    shipped = {paper.arxiv_id for paper in background_sample()}
    first = min(row["published"] for row in judged.values())
    last = max(row["published"] for row in judged.values())
    papers = [
        ReplayPaper(
            row["arxiv_id"],
            row["title"],
            row["abstract"],
            date.fromisoformat(row["published"]),
            row["label"],
            row.get("section"),
        )
        for row in judged.values()
    ]
    others: dict[tuple[int, int], list[ReplayPaper]] = {}
    with gzip.open(HAYSTACK, "rt", encoding="utf-8") as handle:
        for row in map(json.loads, handle):
            arxiv_id = row["arxiv_id"]
            if arxiv_id in judged or arxiv_id in shipped or arxiv_id in listed or arxiv_id >= "2502":
                continue
            if not first <= row["published"] <= last or not arxiv_id[:2].isdigit():
                continue
            day = date.fromisoformat(row["published"])
            others.setdefault(day.isocalendar()[:2], []).append(
                ReplayPaper(arxiv_id, row["title"], row["abstract"], day)
            )
    weeks_with_judged = {paper.published.isocalendar()[:2] for paper in papers}
    for week, found in sorted(others.items()):
        if week in weeks_with_judged:
            found.sort(key=lambda paper: paper.arxiv_id)
            papers += random.Random(f"{week}").sample(found, min(others_per_week, len(found)))
    return papers


def padded(
    weeks: Sequence[list[ReplayPaper]], database: Database, evaluate_from: int, yes_share: float
) -> Iterator[list[ReplayPaper]]:
    """The weeks, the measured ones padded with copies of unjudged first-half papers until `yes` papers make up
    `yes_share` of their stream. The copies are chosen when the measured weeks begin, leaving out every paper the
    replay has decided, so no copy is the near-duplicate of a verdict the model has learnt from."""
    measured = [paper for week in weeks[evaluate_from:] for paper in week]
    wanted = round(sum(paper.label == "yes" for paper in measured) / yes_share) if yes_share else 0
    per_week = max(0, wanted - len(measured)) // max(len(weeks) - evaluate_from, 1)
    earlier = weeks[:evaluate_from] or weeks  # --tune measures every week: its own unjudged papers pad it
    pool = sorted((paper for week in earlier for paper in week if paper.label is None), key=str)
    random.Random(OUTSIDE_YES_SHARE).shuffle(pool)
    for number, week in enumerate(weeks):
        if number == evaluate_from and per_week:
            with database.reading() as session:
                decided = set(session.scalars(select(Candidate.arxiv_id).where(Candidate.status != "pending")))
            pool = [paper for paper in pool if paper.arxiv_id not in decided]
        if number < evaluate_from or not per_week:
            yield week
            continue
        taken, pool = pool[:per_week], pool[per_week:]
        day = max(paper.published for paper in week)
        first = (number - evaluate_from) * per_week
        # 2501.9xxxx: a month's arXiv numbers never reach 90000, so the copies cannot meet a real paper's ID.
        yield week + [
            ReplayPaper(f"2501.{90000 + first + index}", paper.title, paper.abstract, day)
            for index, paper in enumerate(taken)
        ]


def run(
    papers: list[ReplayPaper], learn: bool, config: str, yes_share: float, tune: bool = False
) -> tuple[ReplayReport, int, float]:
    weeks = weeks_of(papers)
    if tune:  # the first half alone, all of it measured: what a tuning choice may look at
        weeks = weeks[: len(weeks) // 2]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "config.toml"
        path.write_text(config, encoding="utf-8")
        settings = load_settings(path, Path(folder) / "data", environ={}, load_dotenv_file=False)
        database = open_service_database(settings)
        started = time.perf_counter()
        half = 0 if tune else len(weeks) // 2
        stream_weeks = padded(weeks, database, half, yes_share)
        report = replay(settings, database, stream_weeks, learn=learn, evaluate_from=half)
        elapsed = time.perf_counter() - started
        database.dispose()
    return report, len(weeks), elapsed


def show(name: str, report: ReplayReport) -> None:
    print(
        f"  {name:<5} recall {report.recall:.3f} ({report.found['yes']}/{report.labels['yes']})"
        f"   flagged {report.flagged}/{report.stream} = {report.share:.3%}"
        f"   precision {report.precision:.2f}   with maybe {report.precision_with_maybe:.2f}"
        f"   section top-1 {report.section_accuracy:.2f} ({report.section_right}/{report.found['yes']})"
        f" top-3 {report.section_top3}/{report.found['yes']}"
    )
    print(
        f"        + second tier: {sum(report.second_tier.values())} papers, recall with it "
        f"{report.recall_with_second_tier:.3f}   decisions made: {report.approved} approved, {report.rejected} rejected"
    )
    yes, right = report.found["yes"], report.section_right
    print(
        f"        95% intervals (Wilson): recall {interval(yes, report.labels['yes'])}"
        f"   section top-1 {interval(right, yes)}"
    )


def interval(hits: int, total: int) -> str:
    """The range a proportion measured on this few papers is compatible with: one paper is 2-3 points of recall."""
    if total == 0:
        return "-"
    found = binomtest(hits, total).proportion_ci(confidence_level=0.95, method="wilson")
    return f"{found.low:.2f}-{found.high:.2f}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--others", type=int, default=2000, help="other haystack papers per week, at most")
    parser.add_argument("--skip-cold", action="store_true")
    parser.add_argument(
        "--density",
        type=float,
        default=OUTSIDE_YES_SHARE,
        help="also replay with the measured weeks padded to this share of `yes` papers (0: only the plain replay)",
    )
    parser.add_argument("--window", type=int, help="relevance.calibration_window (default: the setting's default)")
    parser.add_argument("--daily-budget", type=float, help="relevance.daily_budget (default: the setting's default)")
    parser.add_argument("--titles", action="store_true", help="print the flagged and missed papers of the warm run")
    parser.add_argument(
        "--tune",
        action="store_true",
        help="replay only the first half of the weeks and measure its later half: the figures to choose a change by "
        "(the default report's weeks are then the check it was not chosen on)",
    )
    args = parser.parse_args()
    data = development_data(args.others)
    if data is None:
        return 0
    examples, papers = data
    measured = "the first half replayed and measured (--tune)" if args.tune else "second half of the weeks measured"
    print(f"replay: {len(papers)} papers, {measured}")
    reports = {}
    config = "[relevance]\n" + "".join(
        f"{key} = {value}\n"
        for key, value in (("calibration_window", args.window), ("daily_budget", args.daily_budget))
        if value is not None
    )
    # --tune: the first half's stream is already near the outside density (`yes` 0.125%), so it is replayed once.
    for density in (0.0, args.density) if args.density and not args.tune else (0.0,):
        if density:
            print(f"at the outside check's density: measured weeks padded until `yes` is {density:.3%} of the stream")
        for name, learn in (("cold", False), ("warm", True)):
            if name == "cold" and args.skip_cold:
                continue
            report, weeks, elapsed = run(papers, learn, config, density, args.tune)
            reports[name] = report
            print(f"{name}: {weeks} weeks replayed in {elapsed:.0f} s")
            show(name, report)
    if args.titles and "warm" in reports:
        warm = reports["warm"]
        print("  flagged in the measured weeks (warm):")
        for line in sorted(warm.flagged_titles):
            print(f"    {line}")
        print("  missed (warm):")
        for line in sorted(warm.missed_titles, reverse=True):
            print(f"    {line}")
    if args.tune:
        return 0

    rules = load_rules(resources.feeds_dir())  # what a new data folder reads
    held = leave_one_out(rules, examples, folds=5)
    found = sum(result.judgement.relevant for result in held)
    right = sum(result.section_right for result in held)
    print(f"list papers held out five folds at a time: recall {found}/{len(held)}, section right {right}/{len(held)}")

    with gzip.open(HAYSTACK, "rt", encoding="utf-8") as handle:
        lines = [line for _, line in zip(range(20000), handle, strict=False)]
    from digest.relevance.scoring import build_model

    model = build_model(rules, examples)
    started = time.perf_counter()
    results = list(score_lines(model, lines))
    elapsed = time.perf_counter() - started
    print(f"speed: {len(results)} papers scored in {elapsed:.1f} s = {len(results) / elapsed:.0f} papers/second")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
