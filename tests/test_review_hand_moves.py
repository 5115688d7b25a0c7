"""The decision path over entries a maintainer changed by hand (the list edited and imported): a section's heading
renamed, an approved entry moved to another section or given lines of their own, then approved, reverted or rejected."""

from __future__ import annotations

from pathlib import Path

import pytest

from digest.awesome import store as liststore
from digest.cli.program import main
from digest.config import Settings
from digest.review.reviewer import Reviewer
from digest.review.rules import Actor
from digest.service.wiring import open_service_database
from digest.storage.db import Database
from tests.conftest import make_settings
from tests.discord_bot import section_of
from tests.factories import insert_candidate, real_papers
from tests.list_edits import ANN

STAR = (
    "[![Star](https://img.shields.io/github/stars/ann/steer.svg?style=social&label=Star)](https://github.com/ann/steer)"
)


@pytest.mark.parametrize("undo", ["revert", "reject"])
def test_an_approval_is_undone_after_its_sections_heading_was_renamed(
    database: Database, settings: Settings, undo: str
) -> None:
    """The heading of the section a paper was approved into is renamed by hand (imported): `digest pending` and
    `digest reject` said they had worked and the paper stayed in the list."""
    candidate_id = insert_candidate(database, real_papers()[0])
    reviewer = Reviewer(database, settings)
    reviewer.decide(candidate_id, "approve", Actor("ann", None, "cli"), "Steering")
    with database.transaction() as session:
        text = liststore.render_markdown(session, settings.templates_dir)
        heading = next(
            line for line in text.splitlines() if line.startswith("#") and line.rstrip().endswith("Steering")
        )
        renamed = text.replace(heading, heading.replace("Steering", "Activation Editing"))
        liststore.import_markdown(session, renamed.encode("utf-8"), source="edited.md")
    reviewer.decide(candidate_id, undo, Actor("ann", None, "cli"))
    arxiv_id = real_papers()[0]["arxiv_id"]
    with database.reading() as session:
        assert arxiv_id not in liststore.render_markdown(session, settings.templates_dir)
    assert arxiv_id not in settings.list_markdown_path.read_text(encoding="utf-8")


@pytest.mark.parametrize("undo", ["revert", "reject", "approve", "approve where it is"])
def test_an_approval_moved_to_another_section_by_hand_is_undone_where_it_now_is(
    database: Database, settings: Settings, undo: str
) -> None:
    """A maintainer moves an approved paper to another section by hand (imported: "moved Steering -> Probing").
    `digest pending` and `digest reject` said they had worked and the paper stayed in the list; approving it into a
    third section left it in two. Approving it into the section it was moved to, or into another, keeps the
    maintainer's lines."""
    arxiv_id = real_papers()[0]["arxiv_id"]
    candidate_id = insert_candidate(database, real_papers()[0])
    reviewer = Reviewer(database, settings)
    reviewer.decide(candidate_id, "approve", Actor("ann", None, "cli"), "Steering")
    with database.transaction() as session:
        text = liststore.render_markdown(session, settings.templates_dir)
        lines = text.split("\n")
        first = next(i for i, line in enumerate(lines) if line.startswith("+ ") and arxiv_id in line)
        entry = [lines[first], lines[first + 1], "  " + STAR, lines[first + 2]]
        del lines[first : first + 3]
        probing = next(i for i, line in enumerate(lines) if line.startswith("#") and line.endswith("Probing"))
        lines[probing + 2 : probing + 2] = entry
        report = liststore.import_markdown(session, "\n".join(lines).encode("utf-8"), source="edited.md")
        assert [(item["from"], item["to"]) for item in report.moved] == [("Steering", "Probing")]
        liststore.write_markdown(session, settings)  # as `digest list import` writes it
    into = {"approve": "Attention", "approve where it is": "Probing"}.get(undo)
    reviewer.decide(candidate_id, "approve" if into else undo, Actor("ann", None, "cli"), into)
    with database.reading() as session:
        held = liststore.sections_holding(session, arxiv_id)
    assert held == ([into] if into else [])
    written = settings.list_markdown_path.read_text(encoding="utf-8")
    entries = [line for line in written.splitlines() if line.startswith("+ ") and arxiv_id in line]
    assert len(entries) == (1 if into else 0)
    assert (STAR in written) == bool(into)


def test_an_approval_moved_to_another_section_keeps_the_lines_a_maintainer_wrote_in_its_entry(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A maintainer gave an approved paper's entry a bold short name and a star badge (the list edited in git and
    imported); `digest approve --section Probing` then moved it, and the entry in Probing was written anew from arXiv's
    record: the short name and the badge were gone without a word. The entry moves as the maintainer wrote it."""
    settings = make_settings(data_dir)
    database = open_service_database(settings)
    arxiv_id = real_papers()[0]["arxiv_id"]
    try:
        candidate_id = insert_candidate(database, real_papers()[0])
        Reviewer(database, settings).decide(candidate_id, "approve", ANN, "Steering")
        with database.transaction() as session:
            lines = liststore.render_markdown(session, settings.templates_dir).split("\n")
            first = next(i for i, line in enumerate(lines) if line.startswith("+ ") and arxiv_id in line)
            lines[first] = lines[first].replace("+ [", "+ **SteerLVLM** [", 1)
            lines.insert(first + 2, "  " + STAR)
            edited = lines[first : first + 3]
            liststore.import_markdown(session, "\n".join(lines).encode("utf-8"), source="edited.md")
    finally:
        database.dispose()
    capsys.readouterr()
    assert main(["--data-dir", str(data_dir), "approve", str(candidate_id), "--section", "Probing"]) == 0
    assert capsys.readouterr().out.startswith(
        f"candidate {candidate_id} ({arxiv_id}): moved from Steering (approved there by ann"
    )
    written = settings.list_markdown_path.read_text(encoding="utf-8")
    assert "\n".join(edited) in section_of(written, "Probing")
    assert arxiv_id not in section_of(written, "Steering")
    assert sum(line.startswith("+ ") and arxiv_id in line for line in written.splitlines()) == 1


def test_a_rejection_after_approving_where_a_hand_move_put_it_takes_the_entry_out(
    database: Database, settings: Settings
) -> None:
    """Approved into Steering, moved to Probing by hand, then approved into Probing (the maintainer's lines kept):
    the entry is still this approval's. Was: the approval no longer owned it, so a later `digest reject` said
    "rejected" and the paper stayed in Probing."""
    arxiv_id = real_papers()[0]["arxiv_id"]
    candidate_id = insert_candidate(database, real_papers()[0])
    reviewer = Reviewer(database, settings)
    reviewer.decide(candidate_id, "approve", Actor("ann", None, "cli"), "Steering")
    with database.transaction() as session:
        lines = liststore.render_markdown(session, settings.templates_dir).split("\n")
        first = next(i for i, line in enumerate(lines) if line.startswith("+ ") and arxiv_id in line)
        entry = lines[first : first + 3]
        del lines[first : first + 3]
        probing = next(i for i, line in enumerate(lines) if line.startswith("#") and line.endswith("Probing"))
        lines[probing + 2 : probing + 2] = entry
        report = liststore.import_markdown(session, "\n".join(lines).encode("utf-8"), source="edited.md")
        assert [(item["from"], item["to"]) for item in report.moved] == [("Steering", "Probing")]
    reviewer.decide(candidate_id, "approve", Actor("ann", None, "cli"), "Probing")
    outcome = reviewer.decide(candidate_id, "reject", Actor("ann", None, "cli"), None)
    assert outcome.changed
    with database.reading() as session:
        assert liststore.sections_holding(session, arxiv_id) == []
    assert arxiv_id not in settings.list_markdown_path.read_text(encoding="utf-8")
