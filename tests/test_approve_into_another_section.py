"""Approving an approved paper again into another section (no hand move since): `digest approve 2504.11695 --section
Probing` answered "approved into Probing", not saying the paper left "Beyond or Logit Lens", where a move made by hand
already says "moved from X (...) to Y". It now says from where to where, and whose approval put it there when it was
someone else's. Through the real command line on a real data folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from digest.cli import main
from digest.review.reviewer import Reviewer
from digest.review.rules import Actor
from digest.service.wiring import open_service_database
from tests.cli_daily import one_candidate
from tests.conftest import make_settings
from tests.discord_bot import list_md, section_of
from tests.factories import real_papers
from tests.list_edits import imported

ARXIV_ID = str(real_papers()[0]["arxiv_id"])
FROM = "Beyond or Logit Lens"


def approve(data_dir: Path, capsys: pytest.CaptureFixture[str], candidate_id: int, section: str) -> str:
    capsys.readouterr()
    assert main(["--data-dir", str(data_dir), "approve", str(candidate_id), "--section", section]) == 0
    return capsys.readouterr().out.strip()


def test_approving_again_into_another_section_says_from_where_to_where(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    candidate_id = one_candidate(data_dir)
    assert approve(data_dir, capsys, candidate_id, FROM).endswith(f"approved into {FROM}")
    out = approve(data_dir, capsys, candidate_id, "Probing")
    assert out == f"candidate {candidate_id} ({ARXIV_ID}): moved from {FROM} to Probing"
    listed = list_md(make_settings(data_dir))
    assert ARXIV_ID in section_of(listed, "Probing") and ARXIV_ID not in section_of(listed, FROM)


def test_moving_a_paper_someone_else_approved_names_whose_approval_put_it_there(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    candidate_id = one_candidate(data_dir)
    settings = make_settings(data_dir)
    database = open_service_database(settings)
    try:
        Reviewer(database, settings).decide(candidate_id, "approve", Actor("ann", "1001", "discord"), FROM)
    finally:
        database.dispose()
    out = approve(data_dir, capsys, candidate_id, "Probing")
    assert out.startswith(
        f"candidate {candidate_id} ({ARXIV_ID}): moved from {FROM} (approved there by ann via discord"
    )
    assert out.endswith(" UTC) to Probing") and "\n" not in out


def test_approving_again_a_paper_taken_out_of_the_list_by_hand_moves_nothing_it_says(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Its entry taken out of the list by hand since: the approval puts it back, and says so (who took it out, when),
    not "moved from"."""
    candidate_id = one_candidate(data_dir)
    approve(data_dir, capsys, candidate_id, FROM)

    def without(markdown: str) -> str:
        return "\n".join(line for line in markdown.split("\n") if ARXIV_ID not in line)

    imported(data_dir, tmp_path, without)
    said = approve(data_dir, capsys, candidate_id, "Probing")
    assert said.startswith(
        f"candidate {candidate_id} ({ARXIV_ID}): approved into Probing; a maintainer had taken it out of the list by "
        "hand on "
    )
    assert said.endswith(" UTC (`digest list import`)") and "\n" not in said
    assert ARXIV_ID in section_of(list_md(make_settings(data_dir)), "Probing")
