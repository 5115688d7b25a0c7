"""The one decision path: approve, reject, revert, and what the list and the audit log show afterwards.

Two processes deciding at once are in test_review_concurrency.py; entries a maintainer moved or renamed by hand in
test_review_hand_moves.py."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import select

from digest.awesome import store as liststore
from digest.config import DiscordSettings, Settings
from digest.config.invocation import same_invocation
from digest.review.reviewer import Reviewer
from digest.review.rules import Actor, AlreadyDecidedError, ReviewError, Standing, may_decide
from digest.storage.db import Database
from digest.storage.models import Candidate, Decision, Entry
from digest.titles import title_key
from tests.discord_bot import section_of
from tests.factories import insert_candidate, real_papers
from tests.list_edits import ANN, NOW
from tests.reviews import reviewer_for


def test_approve_puts_the_paper_in_the_suggested_section_and_the_file(database: Database, settings: Settings) -> None:
    paper = real_papers()[0]
    candidate_id = insert_candidate(database, paper)
    outcome = reviewer_for(database, settings).decide(candidate_id, "approve", ANN)
    assert outcome.changed and outcome.status == "approved" and outcome.section == "Sparse Autoencoder"
    written = settings.list_markdown_path.read_text(encoding="utf-8")
    assert f"https://arxiv.org/abs/{paper['arxiv_id']}" in section_of(written, "Sparse Autoencoder")
    assert paper["arxiv_id"] not in section_of(written, "Steering")


def test_approving_twice_adds_the_paper_once(database: Database, settings: Settings) -> None:
    paper = real_papers()[1]
    candidate_id = insert_candidate(database, paper)
    reviewer = reviewer_for(database, settings)
    reviewer.decide(candidate_id, "approve", ANN)
    again = reviewer.decide(candidate_id, "approve", Actor("bob", "1002", "web"))
    assert not again.changed and "already approved" in again.message
    with database.reading() as session:
        markdown = liststore.render_markdown(session, settings.templates_dir)
        decisions = session.scalars(select(Decision).order_by(Decision.id)).all()
    entry_lines = [line for line in markdown.splitlines() if line.startswith("+ ") and paper["arxiv_id"] in line]
    assert len(entry_lines) == 1
    assert [(d.action, d.actor, d.channel, d.applied) for d in decisions] == [
        ("approve", "ann", "cli", True),
        ("approve", "bob", "web", False),
    ]


def test_approve_into_another_section_then_move_then_reject(database: Database, settings: Settings) -> None:
    paper = real_papers()[1]
    candidate_id = insert_candidate(database, paper)
    reviewer = reviewer_for(database, settings)
    reviewer.decide(candidate_id, "approve", ANN, section="steering")
    link = f"https://arxiv.org/abs/{paper['arxiv_id']}"
    assert link in section_of(settings.list_markdown_path.read_text(encoding="utf-8"), "Steering")
    reviewer.decide(candidate_id, "approve", ANN, section="Sparse Autoencoder")
    moved = settings.list_markdown_path.read_text(encoding="utf-8")
    assert link not in section_of(moved, "Steering") and link in section_of(moved, "Sparse Autoencoder")
    outcome = reviewer.decide(candidate_id, "reject", ANN)
    assert outcome.status == "rejected"
    assert link not in settings.list_markdown_path.read_text(encoding="utf-8")


def test_revert_returns_to_pending_and_restores_the_list(database: Database, settings: Settings) -> None:
    with database.reading() as session:
        before = liststore.render_markdown(session, settings.templates_dir)
    candidate_id = insert_candidate(database, real_papers()[2])
    reviewer = reviewer_for(database, settings)
    reviewer.decide(candidate_id, "approve", ANN)
    outcome = reviewer.decide(candidate_id, "revert", ANN)
    assert outcome.status == "pending" and outcome.changed
    with database.reading() as session:
        assert liststore.render_markdown(session, settings.templates_dir) == before
        candidate = session.get(Candidate, candidate_id)
        assert candidate is not None and candidate.decided_by is None


def test_unknown_candidate_or_section_is_one_clear_error(database: Database, settings: Settings) -> None:
    reviewer = reviewer_for(database, settings)
    with pytest.raises(ReviewError, match="no candidate with id 999"):
        reviewer.decide(999, "approve", ANN)
    candidate_id = insert_candidate(database, real_papers()[3])
    with pytest.raises(ReviewError, match="no section named 'Astrology'"):
        reviewer.decide(candidate_id, "approve", ANN, section="Astrology")
    with database.reading() as session:
        candidate = session.get(Candidate, candidate_id)
        assert candidate is not None and candidate.status == "pending"
        assert session.scalars(select(Decision)).all() == []


@pytest.mark.asyncio
async def test_listeners_hear_every_decision_and_a_failing_one_undoes_nothing(
    database: Database, settings: Settings
) -> None:
    heard: list[str] = []

    async def broken(_outcome: object) -> None:
        raise ConnectionError("discord is down")

    async def remember(outcome: object) -> None:
        heard.append(getattr(outcome, "message", ""))

    reviewer = reviewer_for(database, settings)
    reviewer.add_listener(broken)
    reviewer.add_listener(remember)
    candidate_id = insert_candidate(database, real_papers()[4])
    outcome = await reviewer.decide_async(candidate_id, "reject", ANN)
    assert outcome.status == "rejected" and heard == ["rejected"]


def test_only_maintainers_may_decide() -> None:
    rules = DiscordSettings(maintainer_role_ids=(7,), maintainer_user_ids=(42,))
    assert may_decide([], 42, rules)
    assert may_decide([3, 7], 5, rules)
    assert not may_decide([3], 5, rules)


def test_a_paper_whose_title_has_no_letters_or_digits_is_listed_as_untitled(
    database: Database, settings: Settings
) -> None:
    """It was refused ("title '??? — !!!' has no letters or digits"), with no way to list it. Expected: approved, its
    entry titled "Untitled paper, arXiv <id>", as the pages name a title that draws nothing."""
    paper = real_papers()[3]
    candidate_id = insert_candidate(database, paper, title="??? — !!!", title_key="")
    outcome = reviewer_for(database, settings).decide(candidate_id, "approve", ANN)
    assert outcome.changed and outcome.status == "approved"
    with database.reading() as session:
        raws = [entry.raw for entry in session.scalars(select(Entry)) if paper["arxiv_id"] in entry.raw]
    assert len(raws) == 1 and f"[Untitled paper, arXiv {paper['arxiv_id']}](" in raws[0]


def test_only_pending_refuses_a_decided_candidate_while_other_channels_still_overturn(
    database: Database, settings: Settings
) -> None:
    candidate_id = insert_candidate(database, real_papers()[2])
    reviewer = reviewer_for(database, settings)
    reviewer.decide(candidate_id, "approve", Actor("ann", "1001", "discord"), "Probing")
    link = Actor("feed approval link", None, "feed")
    with pytest.raises(AlreadyDecidedError) as refused:
        reviewer.decide(candidate_id, "reject", link, only_pending=True)
    assert refused.value.standing == Standing(candidate_id, "approved", "Probing", "ann", "discord", NOW)
    assert str(refused.value) == (
        f"Candidate {candidate_id} was already approved into Probing by ann via discord on 2026-11-25 09:30 UTC; "
        f"approval links and the review page act only on pending candidates. To change the decision on purpose, run "
        f"`{same_invocation(settings)} reject {candidate_id}`."
    )
    with database.reading() as session:
        candidate = session.get(Candidate, candidate_id)
        assert candidate is not None and candidate.status == "approved"
        assert len(session.scalars(select(Decision)).all()) == 1  # a refused link leaves no audit row

    # Discord and the CLI decide as before: a later reject overturns the approval.
    overturned = reviewer.decide(candidate_id, "reject", ANN)
    assert overturned.changed and overturned.status == "rejected"
    again = re.escape(f"run `{same_invocation(settings)} approve {candidate_id}`")
    with pytest.raises(AlreadyDecidedError, match=again):
        reviewer.decide(candidate_id, "approve", link, only_pending=True)


def test_a_link_into_another_section_of_an_approved_paper_names_the_command_that_moves_it(
    database: Database, settings: Settings
) -> None:
    """A maintainer opened a feed entry's "Approve into Sparse Autoencoder" while the paper was pending, another
    approved it into Probing, and the button's refusal told him to run `digest reject N`, which takes the paper out of
    the list: the opposite of what he asked. It names the approval into the section his link asked for."""
    candidate_id = insert_candidate(database, real_papers()[2])
    reviewer = reviewer_for(database, settings)
    reviewer.decide(candidate_id, "approve", Actor("ann", "1001", "discord"), "Probing")
    link = Actor("feed approval link", None, "feed")
    with pytest.raises(AlreadyDecidedError) as refused:
        reviewer.decide(candidate_id, "approve", link, "Sparse Autoencoder", only_pending=True)
    assert str(refused.value).endswith(
        f'To change the decision on purpose, run `{same_invocation(settings)} approve {candidate_id} --section "Sparse '
        f'Autoencoder"`.'
    )
    reviewer.decide(candidate_id, "reject", ANN)
    with pytest.raises(AlreadyDecidedError) as refused:  # a rejected paper: approving it into that section
        reviewer.decide(candidate_id, "approve", link, "Sparse Autoencoder", only_pending=True)
    assert f'approve {candidate_id} --section "Sparse Autoencoder"`.' in str(refused.value)


def test_a_deciders_name_cannot_rewrite_what_the_history_says(database: Database, settings: Settings) -> None:
    """A Discord display name with a right-to-left override read, wherever decisions are shown, as if someone else
    had decided through another channel."""
    candidate_id = insert_candidate(database, real_papers()[0])
    Reviewer(database, settings).decide(candidate_id, "reject", Actor("mallory\u202ebew aiv bob\n", "9", "discord"))
    with database.reading() as session:
        candidate = session.get(Candidate, candidate_id)
        decision = session.scalars(select(Decision).where(Decision.candidate_id == candidate_id)).one()
        assert candidate is not None and candidate.decided_by == decision.actor == "mallory bew aiv bob"


def test_a_condition_asked_under_the_lock_refuses_the_decision_and_writes_nothing(
    database: Database, settings: Settings
) -> None:
    """The web's undo asks its rule under the candidate's lock: a decision someone else made between the page's
    check and the undo used to be reverted, and the history said the undoer did it."""
    from digest.review.reviewer import NotAllowedError

    candidate_id = insert_candidate(database, real_papers()[0])
    reviewer = Reviewer(database, settings)
    reviewer.decide(candidate_id, "approve", Actor("alice", "web:a", "web"), "Steering")
    reviewer.decide(candidate_id, "reject", Actor("ann", "1", "discord"))  # meanwhile, in Discord
    asked: list[str] = []

    def still_alices(session: Any, candidate: Candidate, now: datetime) -> bool:
        asked.append(candidate.status)
        return candidate.decided_by == "alice"

    with pytest.raises(NotAllowedError):
        reviewer.decide(candidate_id, "revert", Actor("alice", "web:a", "web"), only_if=still_alices)
    with database.reading() as session:
        candidate = session.get(Candidate, candidate_id)
        decisions = session.scalars(select(Decision).where(Decision.candidate_id == candidate_id)).all()
    assert asked == ["rejected"] and candidate is not None and candidate.status == "rejected"
    assert [(d.action, d.actor) for d in decisions] == [("approve", "alice"), ("reject", "ann")]


@pytest.mark.parametrize(
    ("title", "short_name"),
    [
        ("SAE-V: Interpreting Multimodal Models", "SAE-V"),
        ("Heat-bath walks in ViTs (code at https://example.org/x)", None),
        ("Ratios 16:9 and 4:3 in vision transformers", None),
    ],
)
def test_an_approved_papers_bold_short_name_is_the_title_before_its_colon_and_space(
    database: Database, settings: Settings, title: str, short_name: str | None
) -> None:
    """The list names a paper titled 'Name: subtitle' by its bold short name. A colon inside a link or a ratio
    ('https://...', '16:9') is no such separator: the name was cut there ('**Heat-bath walks in ViTs (code at
    https**')."""
    paper = real_papers()[0]
    candidate_id = insert_candidate(database, paper, title=title, title_key=title_key(title))
    assert reviewer_for(database, settings).decide(candidate_id, "approve", ANN).changed
    written = settings.list_markdown_path.read_text(encoding="utf-8")
    (entry,) = [line for line in written.splitlines() if line.startswith("+ ") and paper["arxiv_id"] in line]
    assert entry.startswith(f"+ **{short_name}** [") if short_name else entry.startswith("+ ["), entry
