"""The model a poll or a command builds (BLAS held to one thread, beside the feed's parse) is the model the plain
build makes: every paper judged the same, bit for bit, scores and raw log-odds alike."""

from __future__ import annotations

import json
from pathlib import Path

from digest.relevance import store
from digest.relevance.rules import RULES_FILE, parse_rules
from digest.relevance.scoring import build_model
from digest.relevance.shipped_cache import build_with_kept_encoding
from digest.relevance.types import PaperText
from digest.service.wiring import open_service_database
from tests.conftest import DATA_DIR, make_settings


def test_the_one_thread_build_judges_every_paper_as_the_plain_build(tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "data")
    database = open_service_database(settings)
    try:
        with database.reading() as session:
            rules_data, examples, feedback, budget = store._model_inputs(session, settings)
    finally:
        database.dispose()
    source = str(settings.feeds_dir / RULES_FILE)
    lines = (DATA_DIR / "review_papers.jsonl").read_text(encoding="utf-8").splitlines()
    papers = [PaperText(row["title"], row["abstract"]) for row in map(json.loads, lines)]

    plain = build_model(parse_rules(rules_data, source), examples, feedback, budget=budget)
    built = build_with_kept_encoding(tmp_path / "cache", rules_data, source, examples, feedback, budget)

    assert repr(built.judge_many(papers, explain_all=True)) == repr(plain.judge_many(papers, explain_all=True))
    assert any(judgement.relevant for judgement in plain.judge_many(papers))
