"""The note each candidate's message shows or is owed (why a reaction changed nothing), kept on its candidate row: one
Discord failed to show (a 503, the network) is shown again after its back-off, as a status out of step with its message
is, after a restart too; and an embed a moderator removed is put back with the note it showed."""

from __future__ import annotations

from sqlalchemy import select

from digest.storage.db import Database
from digest.storage.models import Candidate


def owed(database: Database) -> list[tuple[int, str]]:
    """(candidate, note) for each posted message whose note Discord failed to show."""
    query = select(Candidate.id, Candidate.discord_note).where(
        Candidate.discord_note_owed.is_(True), Candidate.discord_state == "posted"
    )
    with database.reading() as session:
        return [(candidate_id, note) for candidate_id, note in session.execute(query) if note is not None]


def shown(database: Database, candidate_id: int) -> str | None:
    """The note the candidate's message shows, or is to show once Discord takes the edit."""
    with database.reading() as session:
        return session.scalar(select(Candidate.discord_note).where(Candidate.id == candidate_id))
