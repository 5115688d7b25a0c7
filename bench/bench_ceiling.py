"""Headroom of relevance: how much of the later half's `yes` papers the same model finds when it is trained on every
judged paper of the first half, beside the list alone (cold), the warm replay's model, and a plain scikit-learn text
classifier. A diagnostic for planning only: it trains on the development labels (../shared/data/decisions-dev.jsonl),
which the shipped model never does (it learns from the list and from the decisions a maintainer makes).

One fixed stream is ranked by fixed models ("static ranking": no threshold, no learning while ranking): the measured
weeks of bench_relevance.py (the later half), padded as that bench pads them to the outside check's density (`yes`
0.155% of the stream), with the padding drawn after the warm replay's first half as there. The top 0.30, 0.40, 0.43
and 0.50% of it are read: recall of `yes` (with its 95% Wilson interval) and precision counting `maybe`.

  cold       a new data folder: the list alone (cold*: the same on the cold replay's own padding, the stream of
             bench_relevance.py's cold figure, against which the week-by-week thresholds are compared)
  warm       after bench_relevance.py's warm replay of the first half (decisions on the flagged papers only)
  full       the list, and every first-half judged paper imported as a decision (`digest decisions import`'s path):
             `yes` approved into its section, `maybe` and `no` rejected
  full-nm    the same with `maybe` left out
  full-yes   only the `yes` approvals imported (no rejection): what the extra positives alone do
  lr, svm    scikit-learn, nothing of ours: tf-idf of word 1-2 grams (fitted on the training texts), logistic
             regression and a linear SVM (C=1, balanced classes); positives the list's papers and first-half `yes`,
             negatives first-half `no` (and `maybe`, or `-nm` without) and first-half haystack papers that pad nothing;
             `-list`: the list against the haystack alone (the reference's cold)

Then the `yes` papers the full model misses at 0.50%, with their ranks, and whether the gate skipped them (they name
no strong term: scored as the gate's ceiling, not by the model); their rank scored in full is given beside. Paired
exact tests (McNemar) compare models on the same 40 papers, and the `yes` papers no ranking finds are counted.
Nothing here was chosen on the later half: the reference's settings are scikit-learn's usual ones, fixed beforehand.

Usage: .venv/bin/python bench/bench_ceiling.py [--others 2000]
"""

from __future__ import annotations

import argparse
import copy
import gzip
import json
import sys
import tempfile
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scipy.stats import binomtest  # noqa: E402
from sqlalchemy import select  # noqa: E402

from bench.bench_relevance import HAYSTACK, OUTSIDE_YES_SHARE, development_data, interval, padded  # noqa: E402
from digest.config import Settings, load_settings  # noqa: E402
from digest.relevance.scoring import PaperText, RelevanceModel  # noqa: E402
from digest.relevance.store import base_model  # noqa: E402
from digest.relevance.training import parse_decisions  # noqa: E402
from digest.relevance.training_store import store_decisions  # noqa: E402
from digest.relevance.types import LabeledPaper  # noqa: E402
from digest.review.replay import ReplayPaper, _list_section, replay, weeks_of  # noqa: E402
from digest.service.wiring import open_service_database  # noqa: E402
from digest.storage.db import Database  # noqa: E402
from digest.storage.models import Section  # noqa: E402

SHARES = (0.0030, 0.0040, 0.0043, 0.0050)


def data_folder(folder: Path) -> tuple[Settings, Database]:
    settings = load_settings(None, folder, environ={}, load_dotenv_file=False)
    return settings, open_service_database(settings)


def model_of(settings: Settings, database: Database) -> RelevanceModel:
    """The model the service would build for this data folder (the list, the decisions, the imported verdicts)."""
    with database.reading() as session:
        return base_model(session, settings)[1]


def imported(folder: Path, judged: Sequence[ReplayPaper], labels: Sequence[str]) -> RelevanceModel:
    """A new data folder given the judged papers through `decisions import`'s parser and table."""
    settings, database = data_folder(folder)
    with database.reading() as session:
        sections = list(session.scalars(select(Section.name).where(Section.kind != "text")))
    lines = [
        json.dumps(
            {
                "arxiv_id": paper.arxiv_id,
                "title": paper.title,
                "abstract": paper.abstract,
                "decision": "approve" if paper.label == "yes" else "reject",
                "section": paper.section if paper.label == "yes" else None,
            }
        ).encode()
        for paper in judged
        if paper.label in labels
    ]
    # The replay's reading of a label's section ("(Beyond) Logit Lens"), as its approvals place papers.
    parsed = parse_decisions(lines, lambda name: _list_section(sections, name))
    if parsed.bad_lines:
        raise SystemExit(f"decisions not imported: {parsed.bad_lines[:3]}")
    with database.transaction() as session:
        store_decisions(session, parsed.decisions, "bench_ceiling", datetime.now(UTC))
    model = model_of(settings, database)
    database.dispose()
    return model


def ranks(scores: NDArray[np.float64]) -> NDArray[np.int_]:
    """1 + how many papers score higher (ties share the better rank)."""
    ordered = np.sort(scores)[::-1]
    return np.searchsorted(-ordered, -scores, side="left") + 1


def top(scores: NDArray[np.float64], share: float) -> NDArray[np.bool_]:
    """The round(share x stream) best papers (a stable order breaks ties)."""
    chosen = np.zeros(len(scores), dtype=bool)
    chosen[np.argsort(-scores, kind="stable")[: round(share * len(scores))]] = True
    return chosen


def show(name: str, scores: NDArray[np.float64], labels: NDArray[np.str_]) -> None:
    yes = int((labels == "yes").sum())
    cells = []
    for share in SHARES:
        chosen = top(scores, share)
        found = int((chosen & (labels == "yes")).sum())
        with_maybe = int((chosen & np.isin(labels, ("yes", "maybe"))).sum()) / max(int(chosen.sum()), 1)
        cells.append(f"{found / yes:.3f} ({found:>2}/{yes}) {interval(found, yes)} p+m {with_maybe:.2f}")
    print(f"  {name:<9} " + " | ".join(cells))


def mcnemar(name: str, first: NDArray[np.bool_], second: NDArray[np.bool_]) -> None:
    only_first, only_second = int((first & ~second).sum()), int((second & ~first).sum())
    p = binomtest(only_first, only_first + only_second).pvalue if only_first + only_second else 1.0
    print(f"  {name}: found by the first only {only_first}, by the second only {only_second}, exact p = {p:.2f}")


def reference_scores(
    examples: Sequence[LabeledPaper],
    judged: Sequence[ReplayPaper],
    background: Sequence[str],
    measured: Sequence[ReplayPaper],
    with_judged: bool,
    with_maybe: bool,
) -> dict[str, NDArray[np.float64]]:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.svm import LinearSVC

    texts = [f"{paper.title}\n{paper.abstract}" for paper in examples] + list(background)
    labels = [1] * len(examples) + [0] * len(background)
    for paper in judged if with_judged else ():
        if with_maybe or paper.label != "maybe":
            texts.append(f"{paper.title}\n{paper.abstract}")
            labels.append(int(paper.label == "yes"))
    vectorizer = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True, stop_words="english")
    words = vectorizer.fit_transform(texts)
    stream = vectorizer.transform([f"{paper.title}\n{paper.abstract}" for paper in measured])
    found = {}
    for name, classifier in (
        ("lr", LogisticRegression(C=1.0, class_weight="balanced", max_iter=5000)),
        ("svm", LinearSVC(C=1.0, class_weight="balanced")),
    ):
        found[name] = np.asarray(classifier.fit(words, labels).decision_function(stream), dtype=np.float64)
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--others", type=int, default=2000, help="other haystack papers per week, at most")
    args = parser.parse_args()
    data = development_data(args.others)
    if data is None:
        return 0
    examples, papers = data
    weeks = weeks_of(papers)
    half = len(weeks) // 2
    judged = sorted((paper for week in weeks[:half] for paper in week if paper.label), key=lambda p: p.arxiv_id)
    models: dict[str, RelevanceModel] = {}
    with tempfile.TemporaryDirectory() as folder:
        settings, database = data_folder(Path(folder) / "warm")
        replay(settings, database, weeks[:half], learn=True, evaluate_from=half)
        measured = [paper for week in list(padded(weeks, database, half, OUTSIDE_YES_SHARE))[half:] for paper in week]
        models["warm"] = model_of(settings, database)
        database.dispose()
        settings, database = data_folder(Path(folder) / "cold")
        models["cold"] = model_of(settings, database)
        # The cold replay's own padding (nothing decided: no paper left out of the pool), the stream of its figure.
        own = [paper for week in list(padded(weeks, database, half, OUTSIDE_YES_SHARE))[half:] for paper in week]
        database.dispose()
        for name, taken in (("full", ("yes", "maybe", "no")), ("full-nm", ("yes", "no")), ("full-yes", ("yes",))):
            models[name] = imported(Path(folder) / name, judged, taken)
    labels = np.array([paper.label or "no" for paper in measured])
    counts = {label: int((labels == label).sum()) for label in ("yes", "maybe", "no")}
    print(
        f"first half: {half} weeks, {len(judged)} judged papers ({sum(p.label == 'yes' for p in judged)} yes, "
        f"{sum(p.label == 'maybe' for p in judged)} maybe) as decisions for full; later half: {len(weeks) - half} "
        f"weeks, {len(measured)} papers ranked ({counts}; `yes` {counts['yes'] / len(measured):.3%})"
    )
    texts = [PaperText(paper.title, paper.abstract) for paper in measured]
    scores: dict[str, NDArray[np.float64]] = {}
    whole: dict[str, NDArray[np.float64]] = {}
    for name, model in models.items():
        scores[name] = model.raw_scores(texts)
        ungated = copy.copy(model)
        ungated.gate_ceiling = float("inf")  # the shortcut applies only under the thresholds: every paper in full
        whole[name] = ungated.raw_scores(texts)

    tops = ", ".join(f"{share:.2%} = {round(share * len(measured))}" for share in SHARES)
    print(f"\nstatic ranking: recall of `yes` (95% Wilson), precision with maybe (p+m), in the top {tops} papers")
    for name in models:
        show(name, scores[name], labels)
    own_labels = np.array([paper.label or "no" for paper in own])
    show("cold*", models["cold"].raw_scores([PaperText(paper.title, paper.abstract) for paper in own]), own_labels)
    print("  (cold*: on the cold replay's padded stream, which may pad with papers the warm replay decided)")
    gate = models["full"].gate  # the rules' gate: the same for every model
    skipped = sum(not gate.may_match(texts[index].gate_text) for index in np.flatnonzero(labels == "yes"))
    print(
        f"the gate (no strong term named: not scored) skips {skipped} of the `yes` papers; every paper scored in full:"
    )
    for name in models:
        if any((top(scores[name], share) != top(whole[name], share)).any() for share in SHARES):
            show(name, whole[name], labels)
        else:
            print(f"  {name:<9} the same papers in the top of every share")

    first_day = min(paper.published for paper in weeks[half])
    padding = {paper.title for paper in measured if paper.arxiv_id.startswith("2501.9")}
    judged_ids = {paper.arxiv_id for paper in papers if paper.label}
    listed = {example.arxiv_id for example in examples if example.arxiv_id}
    start = min(paper.published for paper in weeks[0]).isoformat()
    background = []
    with gzip.open(HAYSTACK, "rt", encoding="utf-8") as handle:
        for row in map(json.loads, handle):
            if not start <= row["published"] < first_day.isoformat() or row["title"] in padding:
                continue
            if row["arxiv_id"] not in judged_ids and row["arxiv_id"] not in listed:
                background.append(f"{row['title']}\n{row['abstract']}")
    print(
        f"\nscikit-learn reference: {len(examples)} list papers, {len(background)} first-half haystack papers "
        f"(published {start} to {first_day}, none that pads the stream)"
    )
    for suffix, with_judged, with_maybe in (("-list", False, False), ("", True, True), ("-nm", True, False)):
        for name, found in reference_scores(examples, judged, background, measured, with_judged, with_maybe).items():
            scores[name + suffix] = found
            show(name + suffix, found, labels)

    yes = labels == "yes"
    print("\npaired on the 40 `yes` papers, in the top 0.50% (McNemar, exact):")
    at_half = {name: top(found, 0.005)[yes] for name, found in scores.items()}
    for first, second in (("full", "cold"), ("full", "warm"), ("warm", "cold"), ("full", "lr"), ("full-yes", "cold")):
        mcnemar(f"{first} vs {second}", at_half[first], at_half[second])
    anyone = np.any(list(at_half.values()), axis=0)
    print(f"  found by at least one of the {len(at_half)} rankings: {int(anyone.sum())} of {int(yes.sum())}")

    model = models["full"]
    gated, in_full = ranks(scores["full"]), ranks(whole["full"])
    missed = [index for index in np.flatnonzero(yes) if not top(scores["full"], 0.005)[index]]
    cut = round(0.005 * len(measured))
    print(f"\n`yes` papers the full model misses at 0.50% (top {cut} of {len(measured)}):")
    for index in sorted(missed, key=lambda index: gated[index]):
        paper = measured[index]
        named = model.gate.may_match(texts[index].gate_text)
        print(
            f"  rank {gated[index]:>5}  in full {in_full[index]:>5}  cold {ranks(scores['cold'])[index]:>5}"
            f"  warm {ranks(scores['warm'])[index]:>5}  lr {ranks(scores['lr'])[index]:>5}"
            f"  {'' if named else 'GATE-SKIPPED  '}[{paper.section}] {paper.title[:100]}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
