"""`digest score` end to end: the same decision as the model, bad lines reported and the rest scored, its relevance
settings against the stored thresholds', a read-only data folder, and its help."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select

from digest.cli import main
from digest.config import Settings
from digest.relevance.stream import ensure_thresholds, model_for_database
from digest.relevance.types import PaperText
from digest.storage.db import Database
from tests.relevance_papers import sample_papers


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
        paper = PaperText(row["title"], row["abstract"], tuple(row.get("categories") or []))
        judgement = model.judge_many([paper], explain_all=True)[0]  # explained as `digest score` explains every paper
        assert result == {
            "arxiv_id": row["arxiv_id"],
            "relevant": judgement.relevant,
            "tier": judgement.tier.value if judgement.tier else None,
            "score": judgement.score,
            "section": judgement.section,
            "sections": judgement.sections,
            "matched": judgement.matched,
            "why": judgement.why.lines(against=True),
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


def test_an_arxiv_id_no_paper_has_is_a_bad_line_and_the_rest_are_scored(
    tmp_path: Path, settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    """A line `{"arxiv_id":"2501.1","title":"x"}` was scored without a word: an ID mistyped is told apart from every
    paper the model learnt from (learnt_from false of a list paper). It is a bad line saying why; the others score."""
    good = sample_papers()[:2]
    lines = [
        json.dumps(good[0]),
        '{"arxiv_id":"2501.1","title":"x"}',
        json.dumps({**good[1], "arxiv_id": "2501.0123"}),
        json.dumps({**good[1], "arxiv_id": ""}),  # left empty: the text alone is scored, unsaid
        json.dumps(good[1]),
    ]
    path = _write_lines(tmp_path / "papers.jsonl", lines)
    status = main(["--data-dir", str(settings.data_dir), "score", str(path)])
    out = capsys.readouterr()
    assert status == 1
    assert [json.loads(line)["arxiv_id"] for line in out.out.splitlines()] == [
        good[0]["arxiv_id"],
        "",
        good[1]["arxiv_id"],
    ]
    assert [line for line in out.err.splitlines() if "skipped" in line] == [
        f"{path}:2: skipped: arxiv_id 2501.1 is not an arXiv ID such as 2501.01234 or hep-th/9901001 (correct it, or "
        "leave it out to score the text alone)",
        f"{path}:3: skipped: arxiv_id 2501.0123 has 4 digits after the dot; arXiv gives IDs 5 from January 2015 on "
        "(correct it, or leave it out to score the text alone)",
    ]
    assert "scored 3 papers: " in out.err and ", 2 bad lines" in out.err


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
