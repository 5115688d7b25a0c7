"""`digest decisions import` of a long file: read a line at a time, still all or nothing, its bad lines capped."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import func, select

from digest.cli import main
from digest.storage.db import Database
from digest.storage.state import TrainingDecision


@pytest.fixture
def data_dir(data_dir: Path, database: Database) -> Path:
    return data_dir


def decision(number: int, verdict: str = "reject") -> str:
    """A decision on a distinct paper (2401.00001 on)."""
    row = {"arxiv_id": f"2401.{number + 1:05d}", "title": f"Paper {number}", "abstract": "", "decision": verdict}
    return json.dumps(row)


def imported(database: Database) -> int:
    with database.reading() as session:
        return session.scalar(select(func.count()).select_from(TrainingDecision)) or 0


def test_a_file_of_many_bad_lines_names_the_first_twenty_and_counts_the_rest(
    data_dir: Path, database: Database, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A wrong file (a CSV, a log) printed one error per line without bound, flooding the terminal: the first 20 are
    named, the others counted, and nothing is imported."""
    path = tmp_path / "verdicts.jsonl"
    path.write_text(decision(0) + "\n" + "".join(f"row {number},yes\n" for number in range(1000)), encoding="utf-8")
    assert main(["--data-dir", str(data_dir), "decisions", "import", str(path)]) == 1
    errors = capsys.readouterr().err.splitlines()
    assert len(errors) == 22, errors[:3]
    assert errors[0].startswith(f"{path}:2: not valid JSON")
    assert errors[19].startswith(f"{path}:21: not valid JSON")
    assert errors[20:] == [
        f"{path}: and 980 more bad lines, not shown",
        f"{path}: 1000 bad lines; nothing was imported",
    ]
    assert imported(database) == 0

    assert main(["--data-dir", str(data_dir), "decisions", "import", "--json", str(path)]) == 1
    summary = json.loads(capsys.readouterr().out)
    assert len(summary["bad_lines"]) == 20
    assert summary["bad_line_count"] == 1000


def test_a_bad_line_after_thousands_of_good_ones_imports_nothing_and_repeats_span_the_file(
    data_dir: Path, database: Database, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Streamed, the good lines before a bad one are not half-imported; a good file of thousands imports whole, the
    last line of a paper winning however far apart its lines are."""
    good = [decision(number) for number in range(1500)]
    path = tmp_path / "verdicts.jsonl"
    path.write_text("\n".join([*good, "{cut off", ""]), encoding="utf-8")
    assert main(["--data-dir", str(data_dir), "decisions", "import", str(path)]) == 1
    assert capsys.readouterr().err.splitlines()[-1] == f"{path}: 1 bad line; nothing was imported"
    assert imported(database) == 0

    path.write_text("\n".join([*good, decision(3, "approve"), ""]), encoding="utf-8")
    assert main(["--data-dir", str(data_dir), "decisions", "import", str(path)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("imported 1500 decisions (1 approve, 1499 reject) from")
    assert "  2401.00004 is on lines 4, 1501: the last, line 1501, wins" in out
    assert imported(database) == 1500
    with database.reading() as session:
        row = session.scalars(select(TrainingDecision).where(TrainingDecision.arxiv_id == "2401.00004")).one()
        assert row.approved


def traced_peak(data_dir: Path, path: Path, out: Path, *options: str) -> int:
    """The most memory Python held while importing `path` with `options`, its output written to `out` (a file, so that
    what is printed is not itself held)."""
    import sys
    import tracemalloc

    with out.open("w", encoding="utf-8") as stream, pytest.MonkeyPatch.context() as patch:
        patch.setattr(sys, "stdout", stream)
        tracemalloc.start()
        try:
            assert main(["--data-dir", str(data_dir), "decisions", "import", *options, str(path)]) == 0
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()


def test_json_output_of_a_long_file_is_written_as_read_not_held(data_dir: Path, tmp_path: Path) -> None:
    """`--json` built the list of every decision in memory before printing it: a file of hundreds of thousands of
    decisions needed memory in proportion. The list is now written a decision at a time: a file 20 times longer
    needs hardly more, and the JSON is the same, laid out as before."""
    small, big = tmp_path / "small.jsonl", tmp_path / "big.jsonl"
    small.write_text("".join(decision(number) + "\n" for number in range(1000)), encoding="utf-8")
    big.write_text("".join(decision(number, "approve") + "\n" for number in range(20_000)), encoding="utf-8")
    traced_peak(data_dir, small, tmp_path / "warm.json", "--json", "--dry-run")  # caches filled, outside the figures
    for options in (("--json", "--dry-run"), ("--json",)):
        small_peak = traced_peak(data_dir, small, tmp_path / "small.json", *options)
        big_peak = traced_peak(data_dir, big, tmp_path / "big.json", *options)
        assert big_peak - small_peak < 2_000_000, (options, small_peak, big_peak)
        text = (tmp_path / "big.json").read_text(encoding="utf-8")
        summary = json.loads(text)
        assert text == json.dumps(summary, ensure_ascii=False, indent=2) + "\n"
        assert summary["checked"] == 20_000 and len(summary["decisions"]) == 20_000
        assert summary["decisions"][-1] == {
            "arxiv_id": "2401.20000",
            "decision": "approve",
            "section": None,
            "title": "Paper 19999",
            "line": 20_000,
        }
        assert summary["repeated"] == [] and summary["overruled_in_review"] == []


def test_a_wrong_file_of_many_different_section_names_is_checked_in_bounded_memory(
    data_dir: Path, tmp_path: Path
) -> None:
    """Each section name a file gave was remembered with how it resolved, without bound: a wrong file of hundreds of
    thousands of different names needed memory in proportion. Only so many are remembered now, and each line is
    still refused as before."""

    def with_sections(count: int) -> Path:
        path = tmp_path / f"sections-{count}.jsonl"
        lines = (
            json.dumps({**json.loads(decision(number, "approve")), "section": f"Nowhere {number}"})
            for number in range(count)
        )
        path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
        return path

    def peak(path: Path) -> int:
        import tracemalloc

        tracemalloc.start()
        try:
            assert main(["--data-dir", str(data_dir), "decisions", "import", str(path)]) == 1
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    small, big = with_sections(400), with_sections(4000)
    peak(small)  # caches filled, outside the figures
    small_peak, big_peak = peak(small), peak(big)
    assert big_peak - small_peak < 300_000, (small_peak, big_peak)
