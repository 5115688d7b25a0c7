"""The note each candidate's message shows or is owed (why a reaction changed nothing), kept on its candidate row: one
Discord failed to show (a 503, the network) is shown again after its back-off, as a status out of step with its message
is, after a restart too; an embed a moderator removed is put back with it, and any other redraw (the list's sections
named otherwise now) keeps it, until a decision: the message then shows the decision and no note."""

from __future__ import annotations

from sqlalchemy import select

from digest.storage.db import Database
from digest.storage.models import Candidate


def owed(database: Database) -> list[int]:
    """Each posted candidate whose note Discord failed to show."""
    query = select(Candidate.id).where(
        Candidate.discord_note_owed.is_(True), Candidate.discord_note.is_not(None), Candidate.discord_state == "posted"
    )
    with database.reading() as session:
        return list(session.scalars(query))


def kept(candidate: Candidate) -> str | None:
    """The note a redraw of the candidate's message keeps: the one it shows or is owed, unless a decision came since
    it was shown (the row's decision, or status, other than the message's; the status shown is forgotten, None, while
    an embed a moderator removed is put back)."""
    if candidate.discord_shown_decided_at != candidate.decided_at:
        return None
    if candidate.discord_shown_status not in (None, candidate.status):
        return None
    return candidate.discord_note
