"""The maintainers' weekly email, text part, as `digest weekly --format email` prints it: a candidate's score is never
cut from its number by the wrap to an email's width."""

from __future__ import annotations

import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

from digest.service.wiring import open_service_database
from digest.weekly.issue import week_of
from tests.cli_runs import digest_command
from tests.conftest import make_settings
from tests.factories import insert_candidate, real_papers

# 59 characters: after "1. " under the item's indent, "(score" ends the line at 72 columns, its number next.
TITLE = "Probing Sparse Features of Vision Language Models by Layers"


def test_a_candidates_score_stays_beside_its_number_in_the_text_part(tmp_path: Path) -> None:
    """ "The most promising" read "1. Probing ... by Layers (score" over "   0.93, ...": the wrap at 72 columns broke
    between the word and its number, which alone on the next line reads as nothing. Expected: "(score 0.93" on one
    line, the title's words before it wrapped instead, every line within 72 columns."""
    assert len(TITLE) == 59
    settings = make_settings(tmp_path / "data")
    database = open_service_database(settings)
    seen = datetime.now(UTC) - timedelta(weeks=1)
    try:
        insert_candidate(
            database, {**real_papers()[0], "title": TITLE}, score=0.93, first_seen_at=seen, updated_at=seen
        )
    finally:
        database.dispose()
    week = str(week_of(seen, settings.tz))
    command = [*digest_command(tmp_path), "weekly", "--week", week, "--edition", "maintainers", "--format", "email"]
    printed = subprocess.run(command, capture_output=True, text=True, check=True, timeout=120).stdout
    text = printed[printed.index("--- text/plain ---") : printed.index("--- text/html ---")]
    promising = text[text.index("The most promising:") : text.index("== The week in numbers ==")]
    assert "\n1. Probing Sparse Features of Vision Language Models by Layers\n   (score 0.93" in promising, promising
    assert "(score\n" not in text, text
    assert all(len(line) <= 72 for line in promising.splitlines()), promising
