"""The relevance model on real papers: the list's own (held out), real unrelated arXiv papers, what a rejection does
(to its near-duplicates, not to an approved paper's neighbours), and `digest score` end to end (same decision as the
model, bad lines reported, the rest scored, one paper alone decided as inside a big file).
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from sqlalchemy import select

from digest.cli import main
from digest.config import Settings
from digest.relevance.evaluation import leave_one_out
from digest.relevance.gathering import list_examples
from digest.relevance.scoring import Feedback, LabeledPaper, build_model, load_rules
from digest.relevance.stream import ensure_thresholds, model_for_database
from digest.storage.db import Database

SAMPLE = Path(__file__).resolve().parent / "data" / "relevance_haystack_sample.jsonl"


def sample_papers() -> list[dict[str, object]]:
    return [json.loads(line) for line in SAMPLE.read_text(encoding="utf-8").splitlines() if line.strip()]


@pytest.fixture
def examples(database: Database) -> list[LabeledPaper]:
    with database.reading() as session:
        return list_examples(session)


def without(examples: list[LabeledPaper], title_start: str) -> tuple[LabeledPaper, list[LabeledPaper]]:
    paper = next(e for e in examples if e.title.startswith(title_start))
    return paper, [e for e in examples if e.abstract != paper.abstract]


def test_list_paper_left_out_is_relevant_with_its_section(examples: list[LabeledPaper], settings: Settings) -> None:
    rules = load_rules(settings.feeds_dir)
    for title_start, section in [
        ("Sparse Autoencoders Learn Monosemantic Features", "Sparse Autoencoder"),
        ("Diffusion Lens: Interpreting Text Encoders", "Beyond or Logit Lens"),
        ("Probing Multimodal Large Language Models", "Probing"),
    ]:
        paper, others = without(examples, title_start)
        judgement = build_model(rules, others).judge(paper.title, paper.abstract)
        assert judgement.relevant, title_start
        assert judgement.section == section
        assert "sparse autoencoder*" in judgement.matched or section != "Sparse Autoencoder"


def test_the_whole_list_left_out_one_at_a_time_meets_the_quality_targets(
    examples: list[LabeledPaper], settings: Settings
) -> None:
    """A floor on the bundled list, as bench/bench_relevance.py measures it (its secondary figure): each paper judged
    by a model built without it, five folds (a paper in two sections is one paper, right in either). Today 47/52
    found, 40/52 sections right; the replay over later papers is the figure that counts (test_relevance_replay)."""
    results = leave_one_out(load_rules(settings.feeds_dir), examples, folds=5)
    missed = [result.title for result in results if not result.judgement.relevant]
    right = sum(result.section_right for result in results)
    assert len(results) >= 50
    assert (len(results) - len(missed)) / len(results) >= 0.85, missed
    assert right / len(results) >= 0.72
    # The papers missed are not lost: they reach the second tier (the weekly digest's "worth a look").
    assert sum(result.judgement.tier is None for result in results) <= 2


def test_unrelated_real_papers_are_not_relevant(examples: list[LabeledPaper], settings: Settings) -> None:
    model = build_model(load_rules(settings.feeds_dir), examples)
    papers = sample_papers()
    flagged = [p for p in papers if model.judge(str(p["title"]), str(p["abstract"])).relevant]
    # A random 300 from arXiv: about 1 expected at the haystack's flag rate, plus the on-topic ones the sample holds
    # (ConceptAttention, interpretable diffusion-transformer features; ARGUS, steering a multimodal LLM).
    assert len(flagged) <= 4, [p["title"] for p in flagged]
    code_paper = next(p for p in papers if "code generation" in str(p["title"]).lower())
    judgement = model.judge(str(code_paper["title"]), str(code_paper["abstract"]))
    assert not judgement.relevant and judgement.score < 0.5


def _sample_paper(arxiv_id: str) -> dict[str, object]:
    return next(p for p in sample_papers() if p["arxiv_id"] == arxiv_id)


def _near_duplicate(paper: dict[str, object] | LabeledPaper) -> tuple[str, str]:
    """The same paper as a later version might read: the first sentence of the abstract gone, the title reworded."""
    title = paper.title if isinstance(paper, LabeledPaper) else str(paper["title"])
    abstract = paper.abstract if isinstance(paper, LabeledPaper) else str(paper["abstract"])
    return f"Revisited: {title}", abstract.split(". ", 1)[-1]


def test_a_rejection_lowers_its_near_duplicates_but_not_an_approved_papers_neighbours(
    examples: list[LabeledPaper], settings: Settings
) -> None:
    rules = load_rules(settings.feeds_dir)
    before = build_model(rules, examples)
    # A real probing paper from the sample is rejected; a list paper on probing stays (its neighbours must not
    # suffer for resembling the rejection, the failure issue 16 measured).
    rejected = _sample_paper("2510.00296")  # Beyond Token Probes: Hallucination Detection via Activation Tensors
    approved, _ = without(examples, "Probing Multimodal Large Language Models")
    after = build_model(
        rules,
        examples,
        [Feedback(str(rejected["arxiv_id"]), str(rejected["title"]), str(rejected["abstract"]), False)],
    )

    def change(title: str, abstract: str) -> float:
        """How the score moves against the review threshold (both re-fitted: what decides)."""
        return after.judge(title, abstract).score - before.judge(title, abstract).score

    duplicate_of_rejected = _near_duplicate(rejected)
    neighbour_of_approved = _near_duplicate(approved)
    assert before.judge(*duplicate_of_rejected).relevant
    assert not after.judge(*duplicate_of_rejected).relevant
    assert change(*duplicate_of_rejected) < -0.1
    # Any retraining moves every score a little. The rejected paper names both sides of the topic as strongly as the
    # list's papers, so its one verdict also lowers the weight of naming both (the approved paper's neighbour, far
    # above the threshold, loses 0.17 where the near-duplicate loses 0.6); what decides is the margin over the
    # threshold: the neighbour keeps nine tenths of its margin, the near-duplicate loses all of its own.
    margin_before = before.judge(*neighbour_of_approved).score - 1.0
    margin_after = after.judge(*neighbour_of_approved).score - 1.0
    assert margin_before > 0 and margin_after > 0.9 * margin_before
    assert after.judge(*neighbour_of_approved).relevant
    # An approval does the opposite: a near-duplicate of the approved paper rises.
    newcomer = _sample_paper("2510.13255")  # Hierarchical Frequency Tagging Probe (HFTP)
    approving = build_model(
        rules,
        examples,
        [Feedback(str(newcomer["arxiv_id"]), str(newcomer["title"]), str(newcomer["abstract"]), True, "Probing")],
    )
    duplicate = _near_duplicate(newcomer)
    assert approving.judge(*duplicate).raw > before.judge(*duplicate).raw + 0.5
    assert approving.judge(*duplicate).section == "Probing"


def _write_lines(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_score_command_prints_the_models_decision(
    tmp_path: Path, settings: Settings, database: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    papers = sample_papers()[:5]
    list_paper = json.loads(
        next(
            line
            for line in (Path(__file__).resolve().parent.parent / "digest" / "data" / "curated_papers.jsonl")
            .read_text(encoding="utf-8")
            .splitlines()
            if "2504.02821" in line
        )
    )
    rows = [*papers, {k: list_paper[k] for k in ("arxiv_id", "title", "abstract", "categories")}]
    path = _write_lines(tmp_path / "papers.jsonl", [json.dumps(row) for row in rows])
    status = main(["--data-dir", str(settings.data_dir), "score", str(path), "--json"])
    out = capsys.readouterr()
    assert status == 0, out.err
    printed = [json.loads(line) for line in out.out.splitlines()]
    with database.reading() as session:
        model = model_for_database(session, settings)
    assert [p["arxiv_id"] for p in printed] == [r["arxiv_id"] for r in rows]
    for row, result in zip(rows, printed, strict=True):
        judgement = model.judge(row["title"], row["abstract"], row.get("categories") or [])
        assert result == {
            "arxiv_id": row["arxiv_id"],
            "relevant": judgement.relevant,
            "tier": judgement.tier.value if judgement.tier else None,
            "score": judgement.score,
            "section": judgement.section,
            "sections": judgement.sections,
            "matched": judgement.matched,
            "why": judgement.why.lines(),
            "learnt_from": row is rows[-1],  # the list's paper: the model was trained on it
            "held_out_score": model.shown_score(model.learned.held_out["2504.02821"]) if row is rows[-1] else None,
        }
    assert printed[-1]["relevant"] is True and printed[-1]["section"] == "Sparse Autoencoder"


def test_score_command_reports_bad_lines_and_scores_the_rest(
    tmp_path: Path, settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    good = sample_papers()[:2]
    lines = [
        json.dumps(good[0]),
        '{"arxiv_id": "2401.00001", "title": "broken',
        json.dumps({"arxiv_id": "2401.00002", "abstract": str(good[1]["abstract"])}),
        json.dumps(good[1]),
    ]
    path = _write_lines(tmp_path / "bad.jsonl", lines)
    status = main(["--data-dir", str(settings.data_dir), "score", str(path)])
    out = capsys.readouterr()
    assert status == 1
    assert [json.loads(line)["arxiv_id"] for line in out.out.splitlines()] == [good[0]["arxiv_id"], good[1]["arxiv_id"]]
    errors = [line for line in out.err.splitlines() if "skipped" in line]
    assert errors == [
        f"{path}:2: skipped: not valid JSON (Unterminated string starting at)",
        f"{path}:3: skipped: no title",
    ]
    assert "Traceback" not in out.err


def test_score_command_reports_a_line_nested_too_deeply_or_with_a_number_too_long_and_scores_the_rest(
    tmp_path: Path, settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    """Lines JSON's parser gives up on with a RecursionError or Python's limit on digits ended the command with a
    traceback, the papers after them unscored."""
    good = sample_papers()[:1]
    lines = ["[" * 100_000, '{"title": "x", "votes": ' + "9" * 5000 + "}", json.dumps(good[0])]
    path = _write_lines(tmp_path / "bad.jsonl", lines)
    status = main(["--data-dir", str(settings.data_dir), "score", str(path)])
    out = capsys.readouterr()
    assert status == 1 and "Traceback" not in out.err
    assert [json.loads(line)["arxiv_id"] for line in out.out.splitlines()] == [good[0]["arxiv_id"]]
    assert [line for line in out.err.splitlines() if "skipped" in line] == [
        f"{path}:1: skipped: not valid JSON (nested too deeply)",
        f"{path}:2: skipped: not valid JSON (a number of more than 4300 digits)",
    ]


def test_only_two_characters_outside_ascii_lower_to_ascii() -> None:
    from digest.relevance.gate import _LOWERS_TO_ASCII

    found = {
        chr(code)
        for code in range(0x80, 0x110000)
        if any(char.isascii() and char.isalnum() for char in chr(code).lower())
    }
    assert found == set(_LOWERS_TO_ASCII)


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


def test_the_shipped_vocabulary_scores_exactly_as_scikit_learn_fitted_it() -> None:
    """The vocabulary ships frozen (bench/make_background.py) and is applied with NumPy; refitted with scikit-learn
    on the same corpus it must be the same, and transform the same texts to the same vectors."""
    import numpy as np

    from digest.relevance.features import fit_word_vectors, word_corpus, word_vectors
    from digest.relevance.types import PaperText

    shipped, fitted = word_vectors(), fit_word_vectors(word_corpus())
    assert shipped.vocabulary == fitted.vocabulary
    assert np.allclose(shipped.idf, fitted.idf)
    from sklearn.feature_extraction.text import TfidfVectorizer

    from digest.relevance.features import _VECTORIZER

    reference = TfidfVectorizer(**_VECTORIZER).fit(word_corpus())  # type: ignore[arg-type]
    papers = [PaperText(str(p["title"]), str(p["abstract"])) for p in sample_papers()]
    papers += [
        PaperText("Vision-Language Models' neurons: the CLIP-ViT case", "Ünïcode — and numbers 3.14"),
        PaperText("", ""),  # no words at all
        PaperText("Zzqx", "qqqzx zzvq"),  # no word the vocabulary knows
        PaperText("A study of", "sparse autoencoders in vision"),  # a pair across papers is no pair:
        PaperText("language models", "large language models at 5 \u212akelvin; \u0130stanbul; stra\u00dfe"),
    ]
    expected = reference.transform([paper.text for paper in papers])
    assert abs(shipped.transform(papers) - expected).max() < 1e-12
    for paper, row in zip(papers[-6:], expected[-6:], strict=True):  # one at a time too, as `digest score` may
        assert abs(shipped.transform([paper]) - row).max() < 1e-12
    assert shipped.transform([]).shape == (0, len(shipped.vocabulary))


def test_a_paper_that_looks_inside_a_vision_model_outranks_one_that_evaluates_it(
    examples: list[LabeledPaper], settings: Settings
) -> None:
    """Both share the topic's words (a vision-language model, "probing"); only the first studies the model's internals
    (attention heads), and the words for internals are what tell them apart. Real papers judged by hand (December and
    November 2024: `yes` and `no`), scored by the model of the list alone."""
    with gzip.open(SAMPLE.parent / "replay_fixture.jsonl.gz", "rt", encoding="utf-8") as handle:
        rows = {row["title"].split(":")[0]: row for row in map(json.loads, handle)}
    inside = rows["Unveiling Visual Perception in Language Models"]
    outside = rows["H-POPE"]
    assert (inside["label"], outside["label"]) == ("yes", "no")
    model = build_model(load_rules(settings.feeds_dir), examples)
    looks_inside = model.judge(inside["title"], inside["abstract"])
    evaluates = model.judge(outside["title"], outside["abstract"])
    assert looks_inside.raw > evaluates.raw
    assert "attention head*" in looks_inside.matched  # shown to the reviewer as a reason, highlighted in the abstract


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


def test_naming_both_sides_strongly_counts_more_than_either_side_alone(settings: Settings) -> None:
    """The rule feature for both sides together is the product of their strengths: nothing for a paper on one side
    only, however strongly it names it, and more the more of both a paper names."""
    from digest.relevance.features import RULE_FEATURES, rule_match
    from digest.relevance.types import PaperText

    rules = load_rules(settings.feeds_dir)
    both = RULE_FEATURES.index("strength of both sides together")

    def strength(title: str, abstract: str) -> float:
        return rule_match(rules, PaperText(title, abstract)).values[both]

    text_only = strength(
        "Sparse autoencoders find interpretable circuits in language models",
        "We apply mechanistic interpretability to attention heads and neurons of a large language model.",
    )
    vision_only = strength(
        "A faster vision-language model", "Our multimodal large language model reads images with a ViT encoder."
    )
    weak = strength("Explaining a vision-language model", "We study what the model attends to.")
    strong = strength(
        "Sparse autoencoders interpret a vision-language model",
        "Mechanistic interpretability of the attention heads and neurons of a multimodal large language model's ViT.",
    )
    assert text_only == 0 and vision_only == 0
    assert 0 < weak < strong


def test_a_run_of_rejections_lowers_what_was_rejected_and_keeps_the_lists_neighbours(
    examples: list[LabeledPaper], settings: Settings
) -> None:
    """Issue 16's failure: after a few dozen rejections of papers that share the topic's words, the papers that belong
    fell under the threshold too, because they resemble the rejected ones more than anything else. Real papers judged
    by hand (replay fixture, November and December 2024): the twenty `no` papers the list's model scores highest are
    rejected. With the thresholds fixed instead of re-fitted after learning (the cause issue 16 measured), the papers
    that belong found fall from 15 to 11 and this fails."""
    with gzip.open(SAMPLE.parent / "replay_fixture.jsonl.gz", "rt", encoding="utf-8") as handle:
        judged = [row for row in map(json.loads, handle) if row["label"]]
    rules = load_rules(settings.feeds_dir)
    before = build_model(rules, examples)
    flagged_no = sorted(
        (row for row in judged if row["label"] == "no"),
        key=lambda row: -before.judge(row["title"], row["abstract"]).raw,
    )[:20]
    rejections = [Feedback(row["arxiv_id"], row["title"], row["abstract"], False) for row in flagged_no]
    after = build_model(rules, examples, rejections)

    def relevant(model: object, papers: list[tuple[str, str]]) -> int:
        return sum(model.judge(title, abstract).relevant for title, abstract in papers)  # type: ignore[attr-defined]

    duplicates_of_rejected = [_near_duplicate(row) for row in flagged_no]
    neighbours_of_list = [_near_duplicate(paper) for paper in examples]
    belonging = [(row["title"], row["abstract"]) for row in judged if row["label"] == "yes"]
    counts = {
        name: (relevant(before, papers), relevant(after, papers))
        for name, papers in (
            ("rejected", duplicates_of_rejected),
            ("list", neighbours_of_list),
            ("belonging", belonging),
        )
    }
    # The rejected papers' near-duplicates that were flagged: at least half drop out (here 6 -> 2) ...
    assert counts["rejected"][0] >= 4 and counts["rejected"][1] <= counts["rejected"][0] // 2
    # ... while the list's neighbours stay (all but two at most; here 53 -> 53) and the papers that belong are found
    # at least as often (here 15 -> 18 of the fixture's 26).
    assert counts["list"][1] >= counts["list"][0] - 2
    assert counts["belonging"][1] >= counts["belonging"][0]


def test_each_approval_without_an_abstract_is_an_example_of_its_own(
    examples: list[LabeledPaper], settings: Settings
) -> None:
    """Examples were told apart by their abstracts, so every approval after the first with an empty abstract was
    dropped unseen (a feed may carry an item without one)."""
    rules = load_rules(settings.feeds_dir)
    approvals = [
        Feedback("2509.10001", "Sparse autoencoder features of a vision transformer", "", True, "Sparse Autoencoder"),
        Feedback("2509.10002", "Attention heads that carry image tokens in a VLM", "", True, "Attention"),
    ]
    model = build_model(rules, examples, approvals)
    learned = {paper.arxiv_id for paper in model.positives}
    assert {"2509.10001", "2509.10002"} <= learned
    assert len(model.positives) == len({(p.abstract or p.title) for p in examples}) + 2


def test_score_says_when_its_relevance_settings_differ_from_those_the_stored_thresholds_were_fitted_for(
    tmp_path: Path, settings: Settings, database: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    # The running service, started before the edit, stored thresholds for its settings (the defaults) at a poll.
    ensure_thresholds(database, settings)
    config = tmp_path / "edited.toml"
    config.write_text("[relevance]\ndaily_budget = 13\n", encoding="utf-8")
    path = _write_lines(tmp_path / "papers.jsonl", [json.dumps(row) for row in sample_papers()[:2]])
    status = main(["--config", str(config), "--data-dir", str(settings.data_dir), "score", str(path)])
    out = capsys.readouterr()
    assert status == 0, out.err
    assert (
        "note: these scores use [relevance] daily_budget = 13; the thresholds fitted last were fitted for "
        "daily_budget = 6.5: a service still running with those settings decides with those until it is restarted"
    ) in out.err.splitlines()
    status = main(["--config", str(config), "--data-dir", str(settings.data_dir), "score", str(path)])
    assert "note: these scores use" not in capsys.readouterr().err  # the same settings again: nothing to say


def test_score_with_edited_relevance_settings_and_the_running_service_keep_each_their_own_thresholds(
    tmp_path: Path, settings: Settings, database: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    """The stored thresholds were one row: `digest score` with [relevance] settings edited since the service started
    replaced the service's, whose polls then decided with the shipped sample's until its next re-fit replaced the
    command's, each run and poll fitting (and re-scoring the stream) again, until the service was restarted. Each
    settings now keeps its own: neither run replaces the other's."""
    import gzip
    from datetime import UTC, datetime

    from digest.relevance.scoring import PaperText
    from digest.relevance.stream import record_stream
    from digest.storage.state import RelevanceState
    from tests.conftest import DATA_DIR

    with gzip.open(DATA_DIR / "stream_sample.jsonl.gz", "rt", encoding="utf-8") as handle:
        rows = [json.loads(line) for line in handle][:1500]
    stream = [(row["arxiv_id"], PaperText(row["title"], row["abstract"], ("cs.CV",))) for row in rows]
    with database.transaction() as session:
        record_stream(session, stream, [0.0] * len(stream), "an older model", datetime.now(UTC), 6000)
    service = ensure_thresholds(database, settings)  # the running service's poll, on the settings it started with
    assert service.thresholds.source == "stream"

    def stored() -> dict[str, object]:
        with database.reading() as session:
            return {row.key: dict(row.value) for row in session.scalars(select(RelevanceState))}

    config = tmp_path / "edited.toml"
    config.write_text("[relevance]\ndaily_budget = 13\n", encoding="utf-8")
    path = _write_lines(tmp_path / "papers.jsonl", [json.dumps(row) for row in sample_papers()[:2]])
    command = ["--config", str(config), "--data-dir", str(settings.data_dir), "score", str(path), "--json"]
    assert main(command) == 0
    edited = capsys.readouterr().out
    kept = stored()
    with database.reading() as session:  # the service's next poll decides with its own stream thresholds
        assert model_for_database(session, settings).thresholds == service.thresholds
    assert ensure_thresholds(database, settings).thresholds == service.thresholds
    assert main(command) == 0
    assert capsys.readouterr().out == edited
    assert stored() == kept  # neither the poll nor the command fitted again


def test_scoring_a_read_only_data_folder_leaves_the_process_keeping_its_cache_files(
    tmp_path: Path, settings: Settings, database: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    """`digest score` on a data folder it could only read told the whole process to keep no cache file, for good: in
    a process that goes on (a test run, a service that scores), the saved model of every data folder after it was
    never written again, and each start built the model anew. Now that holds for the command alone."""
    import argparse

    from digest.cli.context import Context
    from digest.cli.score import handle_score
    from digest.relevance.store import clear_model_cache
    from digest.storage.snapshot import open_read_only

    path = _write_lines(tmp_path / "papers.jsonl", [json.dumps(row) for row in sample_papers()[:2]])
    database.dispose()
    read_only = Context(data_dir=settings.data_dir)
    read_only.reading_only = read_only.opened_read_only = True
    read_only._database = open_read_only(settings.database_url)  # as `database` opens a folder it cannot write
    assert read_only._database is not None
    try:
        assert handle_score(argparse.Namespace(path=path, json=True), read_only) == 0
    finally:
        read_only.close()
    capsys.readouterr()
    clear_model_cache()  # the model is built for the next folder, not taken from memory
    other = tmp_path / "other"
    assert main(["--data-dir", str(other), "score", str(path), "--json"]) == 0
    assert (other / "cache" / "relevance-model.pickle").is_file()


def test_score_help_says_which_decision_it_prints(capsys: pytest.CaptureFixture[str]) -> None:
    """The help said the decision was "the next poll's", with "the stored review threshold": untrue of settings
    edited since the service started (its polls keep their own), and of a data folder it cannot write (nothing is
    stored). It now says whose decision it is."""
    with pytest.raises(SystemExit):
        main(["score", "--help"])
    shown = " ".join(capsys.readouterr().out.split())
    assert "next poll" not in shown
    assert (
        "The decision is the one a poll with these settings makes now: the model learnt from the list and the "
        "decisions in the data folder, and the review threshold fitted for these [relevance] settings on the papers "
        "the polls kept (fitted and stored first when none is, and kept nowhere when the data folder cannot be "
        "written), whatever else the file holds. A service started before [relevance] was edited decides with its "
        "own until it is restarted: a note says so."
    ) in shown
