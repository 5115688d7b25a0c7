"""A data folder an older release left (its list.md written with no `.list.md.written` note beside it, as releases
before the note wrote it), with a maintainer's edit of list.md not imported yet, opened by this release."""

from __future__ import annotations

import pytest

from digest.config import Settings
from digest.review.reviewer import Reviewer
from digest.service.wiring import list_file_in_step
from digest.storage.db import Database
from tests.factories import insert_candidate, real_papers
from tests.list_edits import ANN, NOW


def test_an_edit_left_by_an_older_release_survives_three_undos_after_the_upgrade(
    database: Database, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    """The first start's re-write kept the edited file in list.md.1 only (no note said whether the service wrote
    it), and the next three undos pushed it out of list.md.3. Was: the edit was in no file of the data folder."""
    reviewer = Reviewer(database, settings, clock=lambda: NOW)
    approved = [insert_candidate(database, real_papers()[index]) for index in (0, 1, 3)]
    for candidate_id in approved:
        reviewer.decide(candidate_id, "approve", ANN, section="Probing")
    path = settings.list_markdown_path
    path.with_name(f".{path.name}.written").unlink()  # the older release kept no note
    edited = path.read_text(encoding="utf-8").replace("LVLM-Intrepret", "LVLM-Interpret")
    path.write_text(edited, encoding="utf-8")

    assert list_file_in_step(database, settings)  # the first start of this release
    said = " ".join(record.getMessage() for record in caplog.records)
    for candidate_id in approved[::-1]:  # three routine undos, an entry fewer each
        reviewer.decide(candidate_id, "revert", ANN)

    copies = sorted(p.name for p in path.parent.glob("list.md.*") if p.read_text(encoding="utf-8") == edited)
    assert copies == ["list.md.edited.1"], copies  # was: [], the edit gone from list.md.1..3
    assert "list.md.edited.1" in said and "list import" in said
