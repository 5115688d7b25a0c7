"""`digest list import --dry-run` changes nothing, and an import that removes more than a few entries is refused
without --force: through digest.cli.main on a real data folder seeded with the bundled list."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from digest.cli import main
from digest.resources import seed_list_path
from tests.list_edits import seed_without_entries as without_entries

SEED = seed_list_path().read_text(encoding="utf-8")


@pytest.fixture
def data_dir(data_dir: Path) -> Path:
    assert main(["--data-dir", str(data_dir), "list", "export", "-o", str(data_dir.parent / "before.md")]) == 0  # seeds
    return data_dir


def run(data_dir: Path, *args: str) -> int:
    return main(["--data-dir", str(data_dir), "list", "import", *args])


def exported(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> str:
    capsys.readouterr()
    assert main(["--data-dir", str(data_dir), "list", "export"]) == 0
    return capsys.readouterr().out


def test_dry_run_prints_the_changes_and_writes_nothing(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    moved_title = "Probing Multimodal Large Language Models for Global and Local Semantic Representations"
    text = without_entries(2)
    entry_start = text.index("+ **Probing MLLMs**")
    entry_end = text.index("\n+ ", entry_start) + 1
    entry = text[entry_start:entry_end]
    text = text[:entry_start] + text[entry_end:]
    steering = text.index("\n+ ", text.index("Steering \n")) + 1  # the first entry of Steering
    text = text[:steering] + entry + text[steering:]
    edited = tmp_path / "edited.md"
    edited.write_text(text, encoding="utf-8")
    list_file = (data_dir / "list.md").read_bytes()
    database_file = (data_dir / "digest.sqlite3").read_bytes()

    assert run(data_dir, str(edited), "--dry-run") == 0
    out = capsys.readouterr().out
    assert "would import 70 entries" in out and "0 added, 1 moved, 2 removed" in out and "dry run" in out
    assert f"  ~ Probing -> Steering: {moved_title}" in out
    assert out.count("\n  - ") == 2
    assert (data_dir / "list.md").read_bytes() == list_file
    assert (data_dir / "digest.sqlite3").read_bytes() == database_file
    assert exported(data_dir, capsys) == SEED

    assert run(data_dir, str(edited), "--dry-run", "--json") == 0
    report = json.loads(capsys.readouterr().out)
    assert report["dry_run"] and report["written"] is None and len(report["removed"]) == 2
    assert exported(data_dir, capsys) == SEED

    assert run(data_dir, str(edited)) == 0  # two removals are under the limit: imported
    assert "imported 70 entries" in capsys.readouterr().out
    assert exported(data_dir, capsys) == text


def test_removing_more_than_five_needs_force(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    smaller = tmp_path / "smaller.md"
    smaller.write_text(without_entries(6), encoding="utf-8")
    list_file = (data_dir / "list.md").read_bytes()
    database_file = (data_dir / "digest.sqlite3").read_bytes()
    capsys.readouterr()

    assert run(data_dir, str(smaller)) == 1
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err.count("\n") == 1 and "Traceback" not in captured.err
    assert "would remove 6 entries" in captured.err and "--force" in captured.err
    assert (data_dir / "list.md").read_bytes() == list_file
    assert (data_dir / "digest.sqlite3").read_bytes() == database_file
    assert exported(data_dir, capsys) == SEED

    assert run(data_dir, str(smaller), "--force") == 0
    assert "6 removed" in capsys.readouterr().out
    assert exported(data_dir, capsys) == without_entries(6)


def test_five_removals_pass_and_a_dry_run_of_many_is_not_refused(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    other = tmp_path / "other.md"
    other.write_text("## Papers\n+ **A** [Alpha paper](https://arxiv.org/abs/2401.00001) (Jan. 5, 2024)\n")
    assert run(data_dir, str(other), "--dry-run") == 0  # the dry run shows what --force would do
    shown = capsys.readouterr()
    assert "72 removed" in shown.out
    assert "will be refused unless run with --force" in shown.err  # and says the import itself would be refused
    assert exported(data_dir, capsys) == SEED
    assert run(data_dir, str(other), "--dry-run", "--force") == 0
    assert "refused" not in capsys.readouterr().err

    five = tmp_path / "five.md"
    five.write_text(without_entries(5), encoding="utf-8")
    assert run(data_dir, str(five)) == 0
    assert "5 removed" in capsys.readouterr().out
    assert exported(data_dir, capsys) == without_entries(5)


@pytest.mark.parametrize(
    "title",
    [
        "Seeing &lt;script&gt; in CLIP: a title that names an entity",
        "Neurons \\& *heads* [in] <ViT> `code` ~x~ &#x41; &amp;amp; AT&T;",
    ],
)
def test_an_approved_title_reads_back_as_itself_on_import(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], title: str
) -> None:
    """The entry the service wrote for a title holding `&lt;` escaped its ampersand (`&amp;lt;`) and the list's reader
    never turned it back: importing the service's own export then saw another paper, 1 added and 1 removed."""
    from sqlalchemy import func, select

    from digest.storage.db import open_database
    from digest.storage.models import Paper
    from tests.factories import insert_candidate, real_papers

    database = open_database(f"sqlite:///{data_dir / 'digest.sqlite3'}")
    try:
        candidate = insert_candidate(database, real_papers()[0], title=title)
    finally:
        database.dispose()
    assert main(["--data-dir", str(data_dir), "approve", str(candidate)]) == 0
    exported_file = tmp_path / "exported.md"
    assert main(["--data-dir", str(data_dir), "list", "export", "-o", str(exported_file)]) == 0
    capsys.readouterr()
    assert run(data_dir, str(exported_file), "--dry-run") == 0
    assert f"{exported_file}: unchanged (73 entries" in capsys.readouterr().out
    assert run(data_dir, str(exported_file)) == 0
    database = open_database(f"sqlite:///{data_dir / 'digest.sqlite3'}")
    try:
        with database.reading() as session:
            papers = session.scalars(select(Paper).where(Paper.arxiv_id == real_papers()[0]["arxiv_id"])).all()
            assert [paper.title for paper in papers] == [title]
            assert session.scalar(select(func.count()).select_from(Paper).where(Paper.title.contains("&amp;lt"))) == 0
    finally:
        database.dispose()


def _candidate(data_dir: Path, record: dict[str, object]) -> int:
    from digest.storage.db import open_database
    from tests.factories import insert_candidate

    database = open_database(f"sqlite:///{data_dir / 'digest.sqlite3'}")
    try:
        return insert_candidate(database, record)
    finally:
        database.dispose()


def test_a_paper_taken_out_of_the_list_by_hand_can_be_approved_again(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An approved paper whose entry a maintainer removed (an edited list imported): approving it again said
    "already approved" and added nothing. It now goes back into the list."""
    from tests.factories import real_papers

    paper = real_papers()[0]
    candidate = _candidate(data_dir, paper)
    assert main(["--data-dir", str(data_dir), "approve", str(candidate)]) == 0
    with_it = exported(data_dir, capsys)
    lines = with_it.splitlines(keepends=True)
    first = next(i for i, line in enumerate(lines) if line.startswith("+ ") and paper["arxiv_id"] in line)
    end = first + 1
    while end < len(lines) and lines[end].startswith("  "):
        end += 1
    edited = tmp_path / "edited.md"
    edited.write_text("".join(lines[:first] + lines[end:]), encoding="utf-8")
    assert run(data_dir, str(edited)) == 0
    assert paper["arxiv_id"] not in exported(data_dir, capsys)
    assert main(["--data-dir", str(data_dir), "approve", str(candidate)]) == 0
    assert "approved into Sparse Autoencoder" in capsys.readouterr().out
    assert paper["arxiv_id"] in exported(data_dir, capsys)
    assert main(["--data-dir", str(data_dir), "approve", str(candidate)]) == 0
    assert "already approved into Sparse Autoencoder" in capsys.readouterr().out


def test_approving_a_paper_the_list_already_holds_elsewhere_needs_a_named_section(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A candidate whose paper a maintainer has put in the list by hand meanwhile: approving it into the suggested
    section made a second copy unasked (`digest add` refuses the same paper). A named section still adds it there."""
    from tests.factories import real_papers

    listed = "2411.16198"  # an entry of the bundled list
    before = exported(data_dir, capsys)
    candidate = _candidate(data_dir, {**real_papers()[0], "arxiv_id": listed, "title": "A title of its own"})
    assert main(["--data-dir", str(data_dir), "approve", str(candidate)]) == 1
    error = capsys.readouterr().err
    assert f"{listed} is already in the list (" in error and "name a section" in error
    assert exported(data_dir, capsys) == before
    assert main(["--data-dir", str(data_dir), "approve", str(candidate), "--section", "Sparse Autoencoder"]) == 0
    after = exported(data_dir, capsys)

    def entries(text: str) -> int:
        return sum(line.startswith("+ ") and listed in line for line in text.splitlines())

    assert entries(before) >= 1 and entries(after) == entries(before) + 1


def test_a_paper_the_list_holds_under_a_venues_link_is_not_copied_unasked(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The list holds a paper under its OpenReview link, with no arXiv ID (a maintainer added it by hand after the poll
    had found its arXiv version; the poll knows such a paper by its title). Approving the candidate put the same paper
    into its suggested section too, under the short name of the hand-written entry, without a word: it is refused as
    for a paper listed under its arXiv ID, and approving it where it is adds nothing."""
    from tests.factories import real_papers

    title = "Probing Representations of Numbers in Vision and Language Models"  # Probing, linked to openreview.net
    before = exported(data_dir, capsys)
    candidate = _candidate(data_dir, {**real_papers()[0], "arxiv_id": "2305.01234", "title": title})
    assert main(["--data-dir", str(data_dir), "approve", str(candidate)]) == 1
    assert capsys.readouterr().err == (
        "digest: 2305.01234 is already in the list (Probing): name a section to add it there too, or reject the "
        "candidate\n"
    )
    assert exported(data_dir, capsys) == before
    assert main(["--data-dir", str(data_dir), "approve", str(candidate), "--section", "Probing"]) == 0
    assert capsys.readouterr().out == f"candidate {candidate} (2305.01234): approved into Probing\n"
    assert sum(title in line for line in exported(data_dir, capsys).splitlines()) == 1
