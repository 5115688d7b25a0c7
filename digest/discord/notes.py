"""Notes on candidates' messages (why a reaction changed nothing) that Discord failed to show (a 503, the network):
kept until shown, so the background loop shows them again after their back-off, as it does a status out of step
with its message. The note is not in the database, so only this process knows it is owed. Pure."""

from __future__ import annotations

from digest.discord.retries import Retries


class OwedNotes:
    def __init__(self) -> None:
        self._notes: dict[int, str] = {}

    def failed(self, candidate_id: int, note: str | None) -> None:
        """An edit carrying `note` failed: it is owed (an edit with no note owes none it did not carry)."""
        if note is not None:
            self._notes[candidate_id] = note

    def forget(self, candidate_id: int) -> None:
        """The message is being edited anew: with the note owed (the bot passes it), or for a newer reason it no longer
        fits; a failure owes it again. A message gone or one the bot may not edit owes nothing."""
        self._notes.pop(candidate_id, None)

    def due(self, retries: Retries[int]) -> list[tuple[int, str]]:
        """The owed notes whose message's back-off has passed."""
        return [(candidate_id, note) for candidate_id, note in self._notes.items() if not retries.waiting(candidate_id)]
