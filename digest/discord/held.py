"""The live reactions whose deciding waits for Discord to say who made them (a failed member lookup), each with the id
of its candidate's last decision when it came, kept in the database: after a restart, one made before a decision that
stands still does not overturn it (catching_up reads them, `replay.plan` takes them as `held`)."""

from __future__ import annotations

from sqlalchemy import delete, select

from digest.discord.reactions import ReactionChoice, ReactionId
from digest.storage.bot_state import DiscordHeldReaction
from digest.storage.db import Database

# candidate -> (user id, emoji) -> what it means, and the id of the candidate's last decision when it came
Held = dict[int, dict[ReactionId, tuple[ReactionChoice, int]]]


def hold(database: Database, candidate_id: int, reaction: ReactionId, choice: ReactionChoice, last: int) -> None:
    user_id, emoji = reaction
    with database.transaction() as session:
        row = session.get(DiscordHeldReaction, (candidate_id, user_id, emoji))
        if row is None:
            row = DiscordHeldReaction(candidate_id=candidate_id, user_id=user_id, emoji=emoji)
            session.add(row)
        row.action, row.section, row.last_decision_id = choice.action, choice.section, last


def release(database: Database, candidate_id: int) -> None:
    """Each of the candidate's held reactions decided, or recorded as come too late."""
    with database.transaction() as session:
        session.execute(delete(DiscordHeldReaction).where(DiscordHeldReaction.candidate_id == candidate_id))


def read(database: Database) -> Held:
    held: Held = {}
    with database.reading() as session:
        for row in session.scalars(select(DiscordHeldReaction)):
            choice = ReactionChoice(row.action, row.section)
            held.setdefault(row.candidate_id, {})[(row.user_id, row.emoji)] = (choice, row.last_decision_id)
    return held
