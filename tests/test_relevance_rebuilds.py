"""When the relevance model is built again: reused until a decision or a list import changes its inputs, the same
model from the same list and decisions, and one saved by an older format rebuilt rather than loaded."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from digest.config import Settings
from digest.relevance.scoring import Feedback, LabeledPaper, build_model, load_rules
from digest.relevance.stream import model_for_database
from digest.storage.db import Database
from tests.relevance_papers import examples as examples  # the fixture
from tests.relevance_papers import sample_papers


@pytest.mark.asyncio
async def test_model_is_reused_until_a_decision_or_a_list_import_changes_its_inputs(
    tmp_path: Path, settings: Settings, database: Database
) -> None:
    from datetime import date

    from digest.arxiv.poll_pass import run_poll
    from digest.awesome import store as liststore
    from digest.review.reviewer import Reviewer
    from digest.review.rules import Actor
    from digest.storage.models import Candidate
    from tests.feedbuild import build_rss, load_records

    with database.reading() as session:
        first = model_for_database(session, settings)
    feed = tmp_path / "cs.CV.xml"
    feed.write_bytes(build_rss("cs.CV", load_records(), date(2026, 4, 27)))
    summary = await run_poll(settings, database, sources=[str(feed)])
    assert summary.new_candidates >= 1
    with database.reading() as session:
        # New pending candidates are no input of the model: the same model serves the next pass.
        assert model_for_database(session, settings).learned is first.learned
        candidate = session.scalars(select(Candidate).order_by(Candidate.score.desc())).first()
        assert candidate is not None
        rejected_id, title, abstract = candidate.id, candidate.title, candidate.abstract

    Reviewer(database, settings).decide(rejected_id, "reject", Actor("ann", None, "cli"))
    with database.reading() as session:
        after_rejection = model_for_database(session, settings)
        assert model_for_database(session, settings).learned is after_rejection.learned
    assert after_rejection.learned is not first.learned
    assert after_rejection.judge(title, abstract).score < first.judge(title, abstract).score

    edited = settings.seed_list.read_text(encoding="utf-8")
    lens = "+ **Diffusion Lens** [Diffusion Lens: Interpreting Text Encoders"
    start = edited.index(lens)
    edited = edited[:start] + edited[edited.index("+ **Attention Lens**", start) :]
    with database.transaction() as session:
        assert liststore.import_markdown(session, edited.encode("utf-8"), source="edited.md").changed
    with database.reading() as session:
        after_import = model_for_database(session, settings)
    assert after_import.learned is not after_rejection.learned
    assert len(after_import.positives) == len(after_rejection.positives) - 1


def test_the_same_list_and_decisions_build_the_same_model(examples: list[LabeledPaper], settings: Settings) -> None:
    """A model is built again after every decision and on every start without a saved one; what it flags must not
    move when nothing it learns from did (the word model's solver visits papers in a random order: seeded)."""
    rules = load_rules(settings.feeds_dir)
    paper = sample_papers()[0]
    rejected = [
        Feedback(f"2411.0000{n}", str(row["title"]), str(row["abstract"]), False)
        for n, row in enumerate(sample_papers()[1:4])
    ]
    first, second = build_model(rules, examples, rejected), build_model(rules, examples, rejected)
    assert first.thresholds == second.thresholds
    assert (
        first.judge(str(paper["title"]), str(paper["abstract"])).raw
        == second.judge(str(paper["title"]), str(paper["abstract"])).raw
    )


def test_a_model_saved_by_an_older_format_is_built_again_not_loaded(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The saved model is read back only for the same inputs *and* the same model format: a model pickled by code
    without the word model would lack its weights and fail at the first score."""
    import pickle

    from digest.relevance import scoring, store
    from digest.service.wiring import open_service_database

    database = open_service_database(settings)
    try:
        monkeypatch.setattr(scoring, "MODEL_FORMAT", scoring.MODEL_FORMAT - 1)  # as the older code saved it
        store.clear_model_cache()
        with database.reading() as session:
            old_key, _ = store.base_model(session, settings)
        monkeypatch.undo()
        store.clear_model_cache()
        with database.reading() as session:
            new_key, model = store.base_model(session, settings)
    finally:
        store.clear_model_cache()
        database.dispose()
    assert new_key != old_key and model.key == new_key
    with store._saved_path(settings).open("rb") as handle:
        saved_key, _ = pickle.load(handle)
    assert saved_key == new_key  # rebuilt and saved again, not the older file loaded
