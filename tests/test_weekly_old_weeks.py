"""A week's digest written again long after: what the weekly folder keeps of a week whose second tier is forgotten."""

from __future__ import annotations

import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

from digest.arxiv.candidates import SECOND_TIER_KEPT, forget_old_second_tier
from digest.service.wiring import open_service_database
from digest.weekly.issue import week_of
from tests.cli_runs import digest_command
from tests.conftest import make_settings
from tests.factories import insert_candidate, real_papers


def test_a_week_written_again_after_its_second_tier_was_forgotten_keeps_its_worth_a_look(tmp_path: Path) -> None:
    """A year of running: `digest weekly --week 2026-W40` run again in January (to mend a section, say) rewrote
    2026-W40.maintainers.md from a database whose polls had forgotten that week's second tier, 8 weeks after: its
    "Worth a look" was gone from the only copy and its count said no paper was under the threshold. Expected: the
    maintainers' file of such a week stays as it was written, and the command says why."""
    settings = make_settings(tmp_path / "data")
    database = open_service_database(settings)
    seen = datetime.now(UTC) - SECOND_TIER_KEPT - timedelta(weeks=1)
    worth = real_papers()[1]
    try:
        insert_candidate(database, worth, score=0.93, relevant=False, first_seen_at=seen, updated_at=seen)
        week = str(week_of(seen, settings.tz))
        command = [*digest_command(tmp_path), "weekly", "--week", week]
        subprocess.run(command, capture_output=True, text=True, check=True, timeout=120)
        kept = settings.weekly_dir / f"{week}.maintainers.md"
        assert worth["title"] in kept.read_text(encoding="utf-8")
        with database.transaction() as session:
            assert forget_old_second_tier(session, datetime.now(UTC)) == 1
        again = subprocess.run(command, capture_output=True, text=True, check=True, timeout=120)
    finally:
        database.dispose()
    text = kept.read_text(encoding="utf-8")
    assert "## Worth a look" in text and worth["title"] in text, text
    assert f"{week}: kept {kept}" in again.stdout, again.stdout
    assert f"{week}: wrote {settings.weekly_dir / f'{week}.md'}" in again.stdout, again.stdout


def test_an_old_weeks_count_says_its_second_tier_is_no_longer_counted(tmp_path: Path) -> None:
    """`digest weekly --week 2026-W40 --dry-run` (or its email) run in January counted "2" new candidates as if the
    week had none just under the review threshold, where its second tier was forgotten 8 weeks after. Expected: the
    count line says the second tier is not in it, in the Markdown and in both parts of the email."""
    settings = make_settings(tmp_path / "data")
    database = open_service_database(settings)
    seen = datetime.now(UTC) - SECOND_TIER_KEPT - timedelta(weeks=1)
    papers = real_papers()
    try:
        for paper in papers[:2]:
            insert_candidate(database, paper, relevant=True, first_seen_at=seen, updated_at=seen)
        insert_candidate(database, papers[2], score=0.93, relevant=False, first_seen_at=seen, updated_at=seen)
        with database.transaction() as session:
            assert forget_old_second_tier(session, datetime.now(UTC)) == 1
    finally:
        database.dispose()
    week = str(week_of(seen, settings.tz))
    command = [*digest_command(tmp_path), "weekly", "--week", week, "--edition", "maintainers"]
    markdown = subprocess.run([*command, "--dry-run"], capture_output=True, text=True, check=True, timeout=120).stdout
    email = subprocess.run([*command, "--format", "email"], capture_output=True, text=True, check=True, timeout=120)
    said = "2 for review; those just under the review threshold (the second tier) are forgotten 8 weeks after: not "
    said += "counted"
    assert f"- New candidates found on arXiv: **{said.replace('2', '2**', 1)}" in markdown, markdown
    text_part = " ".join(email.stdout.split())  # its line is wrapped to an email's width, under the number
    assert f"New candidates found on arXiv: {said}" in text_part, email.stdout
    assert f'<span style="font-weight:600;">2</span>{said[1:]}' in email.stdout, email.stdout
