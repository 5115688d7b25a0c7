"""What the weekly digest announces as new over several weeks: only papers that joined the list that week, never ones
that were there already (a renamed heading, a moved entry, an approval of a paper a maintainer had added by hand)."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from digest.awesome import store as liststore
from digest.config import Settings
from digest.review.reviewer import Reviewer
from digest.review.rules import Actor
from digest.storage.db import Database
from digest.weekly.contents import load_digest
from digest.weekly.issue import IsoWeek
from digest.weekly.rendering import render
from tests.conftest import make_settings
from tests.weekly_data import PAPERS, decide, insert_candidate

W47, W48, W49 = IsoWeek(2026, 47), IsoWeek(2026, 48), IsoWeek(2026, 49)
IN_W47 = datetime(2026, 11, 18, 10, 0, tzinfo=UTC)
IN_W48 = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
IN_W49 = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)
PAPER = "2505.14071"  # a real record from tests/data/weekly_papers.jsonl


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path / "data", 'timezone = "Europe/Berlin"\n')


def readers(database: Database, settings: Settings, week: IsoWeek) -> str:
    with database.reading() as session:
        return render(load_digest(session, settings, week, edition="readers"), settings.templates_dir, "digest.md.j2")


def import_edited(database: Database, settings: Settings, edit: Callable[[str], str], when: datetime) -> None:
    """The maintainer edits the list's Markdown (by hand, or publishing pulls an upstream edit) and it is imported."""
    with database.transaction() as session:
        markdown = liststore.render_markdown(session, settings.templates_dir)
        edited = edit(markdown)
        assert edited != markdown
        liststore.import_markdown(session, edited.encode(), source="edited", now=when)


def rename_steering(markdown: str) -> str:
    return "".join(
        line.replace("Steering", "Model Steering", 1) if line.startswith("### ") and "Steering" in line else line
        for line in markdown.splitlines(keepends=True)
    )


def add_to_steering_by_hand(markdown: str) -> str:
    """The paper written into the Steering section by a maintainer, as its first entry."""
    title = PAPERS[PAPER]["title"]
    line = f"+ **TSV** [{title}](https://arxiv.org/abs/{PAPER}) (May. 20, 2025)\n\n"
    at = next(m.start() for m in re.finditer(r"^### .*Steering", markdown, re.M))
    at = markdown.index("\n+ ", at) + 1
    return markdown[:at] + line + markdown[at:]


def approve_in_w47(database: Database, settings: Settings) -> None:
    candidate = insert_candidate(database, PAPER, seen=IN_W47, section="Steering")
    decide(database, settings, candidate, "approve", IN_W47)


def test_renaming_a_section_announces_none_of_its_papers_again(database: Database, settings: Settings) -> None:
    approve_in_w47(database, settings)
    title = PAPERS[PAPER]["title"]
    assert "1 new paper joined the list this week." in readers(database, settings, W47)
    assert title[:30] in readers(database, settings, W47)
    # W48: a maintainer renames the heading "Steering" to "Model Steering" in the Markdown; no paper is added.
    import_edited(database, settings, rename_steering, IN_W48)
    w48 = readers(database, settings, W48)
    assert "A quiet week: no papers joined the list." in w48, w48.split("## The week")[0]
    assert title[:30] not in w48


def test_moving_a_paper_by_a_list_edit_does_not_announce_it_again(database: Database, settings: Settings) -> None:
    approve_in_w47(database, settings)
    title = PAPERS[PAPER]["title"]

    def move(markdown: str) -> str:
        lines = markdown.splitlines(keepends=True)
        first = next(i for i, line in enumerate(lines) if line.startswith("+ ") and PAPER in line)
        end = first + 1
        while end < len(lines) and lines[end].startswith("  "):
            end += 1
        entry = lines[first:end]
        rest = lines[:first] + lines[end:]
        at = next(i for i, line in enumerate(rest) if line.startswith("### ") and "Attention" in line) + 1
        while not rest[at].startswith("+ "):
            at += 1
        return "".join(rest[:at] + entry + rest[at:])

    import_edited(database, settings, move, IN_W48)
    w48 = readers(database, settings, W48)
    assert title[:30] not in w48, "a paper moved from Steering to Attention is announced as new in W48"


def test_moving_a_paper_by_approving_it_elsewhere_does_not_announce_it_again(
    database: Database, settings: Settings
) -> None:
    """`digest approve ID --section Attention` a week after its approval into Steering moves it (the entry leaves
    Steering): the paper was announced in W47 and is announced again in W48."""
    candidate = insert_candidate(database, PAPER, seen=IN_W47, section="Steering")
    decide(database, settings, candidate, "approve", IN_W47)
    from tests.weekly_data import Clock

    Reviewer(database, settings, Clock(IN_W48)).decide(candidate, "approve", Actor("ann", None, "cli"), "Attention")
    title = PAPERS[PAPER]["title"]
    assert title[:30] in readers(database, settings, W47)  # announced in W47 (when its email went out)
    w48 = readers(database, settings, W48)
    assert title[:30] not in w48, "moved, not new: W48 says it joined the list again"


def test_approving_a_paper_already_added_by_hand_does_not_announce_it_twice(
    database: Database, settings: Settings
) -> None:
    """W47: the poll found the paper (pending) and a maintainer also wrote it into the list's Markdown by hand (an
    import: the W47 digest announces it). W48: the candidate is approved into that section: announced again."""
    candidate = insert_candidate(database, PAPER, seen=IN_W47, section="Steering")
    import_edited(database, settings, add_to_steering_by_hand, IN_W47)
    title = PAPERS[PAPER]["title"]
    assert title[:30] in readers(database, settings, W47)
    decide(database, settings, candidate, "approve", IN_W48)
    assert title[:30] not in readers(database, settings, W48), "already announced in W47, announced again in W48"


def test_approving_a_paper_added_by_hand_into_another_section_does_not_announce_it_again(
    database: Database, settings: Settings
) -> None:
    """W47: the poll found the paper (pending) and a maintainer wrote it into the list's Steering section by hand (the
    W47 digest announces it). W48: the candidate is approved into Attention through a link naming that section (the
    private feed's 'Approve into Attention'): the paper is now in both, and the W48 digest said it joined the list
    that week, counting it in 'Added this week'. Expected: no news in W48; W47 still announces it."""
    from tests.weekly_data import Clock

    candidate = insert_candidate(database, PAPER, seen=IN_W47, section="Steering")
    import_edited(database, settings, add_to_steering_by_hand, IN_W47)
    Reviewer(database, settings, Clock(IN_W48)).decide(candidate, "approve", Actor("ann", None, "feed"), "Attention")
    title = PAPERS[PAPER]["title"]
    assert title[:30] in readers(database, settings, W47)
    w48 = readers(database, settings, W48)
    assert "A quiet week: no papers joined the list." in w48, w48.split("## The week")[0]
    assert title[:30] not in w48
    assert "- Added this week: **0**" in w48


def second_tier_records(n: int) -> list[dict[str, Any]]:
    from tests.factories import real_papers

    return [r for r in real_papers() if r["arxiv_id"] not in PAPERS][:n]


def test_a_second_tier_paper_approved_the_same_week_is_listed_once(database: Database, settings: Settings) -> None:
    from tests.factories import insert_candidate as insert_record

    rec = second_tier_records(1)[0]
    cid = insert_record(
        database, rec, score=0.5, relevant=False, suggested_section="Steering", first_seen_at=IN_W48, updated_at=IN_W48
    )
    with database.reading() as session:
        before = load_digest(session, settings, W48, now=IN_W48, edition="maintainers")
    assert [p.arxiv_url for p in before.second_tier] == [f"https://arxiv.org/abs/{rec['arxiv_id']}"]
    decide(database, settings, cid, "approve", IN_W48 + __import__("datetime").timedelta(hours=1))
    with database.reading() as session:
        after = load_digest(session, settings, W48, now=IN_W48, edition="maintainers")
    assert after.second_tier == [] and after.added_count == 1


def test_approved_then_reverted_or_rejected_the_same_week_is_not_announced(
    database: Database, settings: Settings
) -> None:
    from datetime import timedelta

    a = insert_candidate(database, "2505.14071", seen=IN_W48, section="Steering")
    b = insert_candidate(database, "2505.17425", seen=IN_W48, section="Attention")
    c = insert_candidate(database, "2502.20578", seen=IN_W48, section="Sparse Autoencoder")
    for cid in (a, b, c):
        decide(database, settings, cid, "approve", IN_W48)
    decide(database, settings, a, "revert", IN_W48 + timedelta(hours=1))
    decide(database, settings, b, "reject", IN_W48 + timedelta(hours=1))
    with database.reading() as session:
        digest = load_digest(session, settings, W48, now=IN_W48, edition="maintainers")
    assert digest.added_count == 1 and digest.stats.added_this_week == 1
    assert (digest.stats.candidates_approved, digest.stats.candidates_rejected) == (1, 1)
    # approved in W48, rejected in W49: W48 re-rendered later no longer lists it; W49 says nothing of it either.
    decide(database, settings, c, "reject", IN_W49)
    assert readers(database, settings, W49).count("2502.20578") == 0


def test_worth_a_look_gives_the_weeks_count_and_lists_the_best(database: Database, settings: Settings) -> None:
    """50 second-tier papers in the week and `second_tier_top = 10`: the edition said "10 papers first seen this week
    scored just under the review threshold", hiding 40 more."""
    from tests.factories import insert_candidate as insert_record
    from tests.factories import real_papers

    records = real_papers()
    for number in range(50):
        record = {**records[number % len(records)], "arxiv_id": f"2511.{20000 + number}"}
        insert_record(
            database,
            record,
            title=f"{record['title']} #{number}",
            score=0.5 - number / 1000,
            relevant=False,
            suggested_section="Steering",
            first_seen_at=IN_W48,
            updated_at=IN_W48,
        )
    capped = settings.model_copy(update={"weekly": settings.weekly.model_copy(update={"second_tier_top": 10})})
    with database.reading() as session:
        digest = load_digest(session, capped, W48, now=IN_W48, edition="maintainers")
    for template in ("digest.md.j2", "email.txt.j2", "email.html.j2"):
        text = " ".join(render(digest, settings.templates_dir, template).split())  # the text part's is wrapped
        at = text.index("scored just under")
        line = text[at - 40 : text.index(".", at) + 1]  # the sentence
        assert "50 papers first seen this week" in line and "the best 10 are listed here" in line, (template, line)


def test_a_paper_added_by_hand_approved_and_taken_out_again_did_not_join_the_list(
    database: Database, settings: Settings
) -> None:
    """W48: a maintainer writes the pending paper into Steering by hand, approves its candidate (the approval keeps
    that entry) and then takes the entry out of the Markdown again: the W48 digest still said the paper joined the
    list that week. Expected: a quiet week, as for an approval whose own entry was taken out."""
    candidate = insert_candidate(database, PAPER, seen=IN_W48, section="Steering")
    import_edited(database, settings, add_to_steering_by_hand, IN_W48)
    decide(database, settings, candidate, "approve", IN_W48)
    title = PAPERS[PAPER]["title"]

    def take_out(markdown: str) -> str:
        line = f"+ **TSV** [{title}](https://arxiv.org/abs/{PAPER}) (May. 20, 2025)\n"
        assert line in markdown
        return markdown.replace(line, "", 1)

    import_edited(database, settings, take_out, IN_W48)
    w48 = readers(database, settings, W48)
    assert "A quiet week: no papers joined the list." in w48, w48.split("## The week")[0]
    assert title[:30] not in w48
