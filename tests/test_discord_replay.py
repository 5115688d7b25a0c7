"""The rule for reactions found on a message when the bot comes back (digest.discord.replay), as plain data."""

from __future__ import annotations

from digest.discord.replay import Choice, Key, LoggedDecision, plan, seen_reactions
from digest.review.rules import Actor
from digest.storage.db import Database

ANN_APPROVE: Key = ("1", "approve", "sae")
BOB_APPROVE: Key = ("2", "approve", "sae")
BOB_REJECT: Key = ("2", "reject", "")
ANN = Actor("ann", "1", "discord")
BOB = Actor("bob", "2", "discord")
APPROVE: Choice = ("approve", None)
REJECT: Choice = ("reject", None)


def logged(channel: str, action: str, key: Key, applied: bool = True, actor: str = "ann") -> LoggedDecision:
    return LoggedDecision(channel, action, key, applied, actor)


def test_a_deciding_reaction_taken_back_is_undone_and_nothing_else_decides() -> None:
    seen = seen_reactions([logged("discord", "approve", ANN_APPROVE)])
    todo = plan("approved", seen, {})
    assert todo.undo is not None and todo.undo.key == ANN_APPROVE and todo.choice is None


def test_a_new_reaction_decides_over_the_standing_one() -> None:
    seen = seen_reactions([logged("discord", "approve", ANN_APPROVE)])
    todo = plan("approved", seen, {ANN_APPROVE: (APPROVE, ANN), BOB_REJECT: (REJECT, BOB)})
    assert todo.undo is None and todo.choice == (REJECT, BOB)


def test_reactions_already_seen_on_a_decided_candidate_change_nothing() -> None:
    seen = seen_reactions([logged("discord", "approve", ANN_APPROVE), logged("discord", "approve", BOB_APPROVE, False)])
    todo = plan("approved", seen, {ANN_APPROVE: (APPROVE, ANN), BOB_APPROVE: (APPROVE, BOB)})
    assert todo.undo is None and todo.choice is None and not todo.conflict


def test_a_decision_made_elsewhere_overrules_the_reactions_seen_before_it() -> None:
    seen = seen_reactions([logged("discord", "approve", ANN_APPROVE), logged("cli", "revert", ("", "revert", ""))])
    assert plan("pending", seen, {ANN_APPROVE: (APPROVE, ANN)}).choice is None


def test_a_reaction_taken_back_and_put_again_is_new() -> None:
    seen = seen_reactions([logged("discord", "approve", ANN_APPROVE), logged("discord", "revert", ("1", "revert", ""))])
    assert plan("pending", seen, {ANN_APPROVE: (APPROVE, ANN)}).choice == (APPROVE, ANN)


def test_new_reactions_that_disagree_decide_nothing() -> None:
    todo = plan("pending", seen_reactions([]), {ANN_APPROVE: (APPROVE, ANN), BOB_REJECT: (REJECT, BOB)})
    assert todo.choice is None and set(todo.conflict) == {APPROVE, REJECT}


def test_catch_up_reads_the_decision_log_in_the_order_decisions_were_made(database: Database) -> None:
    """A web rejection made after a ✅ approval on a clock five minutes behind: read by clock, the ✅ looked like the
    decision that stands, and its reaction being gone would have undone the rejection."""
    from datetime import UTC, datetime, timedelta

    from digest.discord import store as discord_store
    from digest.storage.models import REJECTED, Candidate, Decision
    from tests.factories import insert_candidate, real_papers

    candidate_id = insert_candidate(database, real_papers()[0])
    at = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
    with database.transaction() as session:
        session.add(
            Decision(candidate_id=candidate_id, action="approve", section="Sparse Autoencoder", actor="ann",
                     actor_id="1001", channel="discord", at=at, applied=True)
        )  # fmt: skip
        session.flush()
        session.add(
            Decision(candidate_id=candidate_id, action="reject", section=None, actor="bob", actor_id=None,
                     channel="web", at=at - timedelta(minutes=5), applied=True)
        )  # fmt: skip
        candidate = session.get(Candidate, candidate_id)
        assert candidate is not None
        candidate.status = REJECTED
    seen = seen_reactions(discord_store.reaction_history(database, candidate_id))
    assert plan(REJECTED, seen, present={}).undo is None


def test_a_held_reaction_older_than_the_standing_decision_is_recorded_not_applied_a_newer_one_decides() -> None:
    """ann's ✅ waited for her member lookup; bob's ❌ made after it (log row 7) decided meanwhile: bob's stands."""
    seen = seen_reactions([LoggedDecision("discord", "reject", BOB_REJECT, True, "bob", id=7)])
    present = {ANN_APPROVE: (APPROVE, ANN), BOB_REJECT: (REJECT, BOB)}
    older = plan("rejected", seen, present, held={ANN_APPROVE: 0})
    assert older.choice is None and not older.conflict and older.superseded == ((APPROVE, ANN),)
    newer = plan("rejected", seen, present, held={ANN_APPROVE: 7})
    assert newer.choice == (APPROVE, ANN) and newer.superseded == ()
