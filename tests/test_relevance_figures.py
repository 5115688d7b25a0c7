"""Speed work must not move the relevance figures: the model a fresh data folder builds judges the fixture stream
(tests/data/stream_sample.jsonl.gz, 2,500 real arXiv papers) exactly as recorded in
tests/data/stream_judgements.jsonl.gz when this test was written: raw scores to 1e-12, and each paper's tier, shown
score, sections and matched terms as they were. Regenerate only for a change meant to move them:
`python -m tests.test_relevance_figures`."""

from __future__ import annotations

import gzip
import json
import math
import sys
from pathlib import Path
from typing import Any

from digest.relevance.stream import model_for_database
from digest.relevance.types import PaperText
from digest.service.wiring import open_service_database
from tests.conftest import DATA_DIR, make_settings

RECORDED = DATA_DIR / "stream_judgements.jsonl.gz"


def _judged(folder: Path) -> list[dict[str, Any]]:
    settings = make_settings(folder)
    database = open_service_database(settings)
    try:
        with database.reading() as session:
            model = model_for_database(session, settings)
    finally:
        database.dispose()
    with gzip.open(DATA_DIR / "stream_sample.jsonl.gz", "rt", encoding="utf-8") as handle:
        rows = [json.loads(line) for line in handle]
    papers = [PaperText(row["title"], row["abstract"], ("cs.CV",)) for row in rows]
    raw = model.raw_scores(papers)
    return [
        {
            "arxiv_id": row["arxiv_id"],
            "raw": judgement.raw,
            "scored": float(raw[index]),
            "score": judgement.score,
            "tier": judgement.tier.name if judgement.tier else None,
            "sections": list(judgement.sections),
            "matched": list(judgement.matched),
        }
        for index, (row, judgement) in enumerate(zip(rows, model.judge_many(papers, explain_all=True), strict=True))
    ]


def test_the_fixture_stream_is_judged_as_recorded(tmp_path: Path) -> None:
    with gzip.open(RECORDED, "rt", encoding="utf-8") as handle:
        recorded = [json.loads(line) for line in handle]
    judged = _judged(tmp_path / "data")
    assert len(judged) == len(recorded) == 2500
    assert sum(1 for item in recorded if item["tier"]) > 0  # the stream holds papers the model flags
    for now, then in zip(judged, recorded, strict=True):
        assert now["arxiv_id"] == then["arxiv_id"]
        for figure in ("raw", "scored", "score"):
            assert math.isclose(now[figure], then[figure], rel_tol=0.0, abs_tol=1e-12), (now, then)
        assert (now["tier"], now["sections"], now["matched"]) == (then["tier"], then["sections"], then["matched"])


if __name__ == "__main__":  # records the figures (see the module's docstring)
    import tempfile

    with tempfile.TemporaryDirectory() as temporary, gzip.open(RECORDED, "wt", encoding="utf-8") as out:
        for item in _judged(Path(temporary) / "data"):
            out.write(json.dumps(item) + "\n")
    sys.exit(0)
