"""What each posted candidate's message shows of its suggested section, held against the list's sections now: a heading
renamed, taken out or repeated since (`digest list import`, a publish's pull of the list, a start that reads the list
again) edits the pending messages whose suggestion it changes, and no other (Discord limits edits)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from digest.awesome.labelled import labelled_sections
from digest.review.rules import SuggestedSection
from digest.review.suggestions import suggestions_among
from digest.storage.db import Database
from digest.storage.models import PENDING, Candidate, Section

SectionRows = tuple[tuple[str, str, int, str], ...]


def approvable(suggestion: SuggestedSection | None) -> bool:
    """Whether ✅ approves into a section: the suggested one is one section of the list now (renamed or not)."""
    return suggestion is not None and suggestion.label is not None


def shown_text(suggestion: SuggestedSection | None) -> str | None:
    """What a message shows of its suggested section, as recorded with it: the field's text, which says too whether
    and where ✅ approves (`SuggestedSection.shown`); None without a suggestion."""
    return suggestion.shown() if suggestion is not None else None


def headings(session: Session) -> SectionRows:
    """The list's headings, in its order: a few dozen short rows, read each round to tell whether any changed."""
    query = select(Section.name, Section.slug, Section.level, Section.kind).order_by(Section.position)
    return tuple((row[0], row[1], row[2], row[3]) for row in session.execute(query))


class ShownSuggestions:
    """Each background round reads the list's headings (a few dozen short rows) and the pending messages' recorded
    suggestions; a suggested name is resolved again only when the headings changed."""

    def __init__(self) -> None:
        self._sections: SectionRows | None = None
        self._shown: dict[str, str] = {}  # suggested name -> what a message shows of it, for self._sections

    def stale(self, database: Database) -> list[int]:
        """Posted pending candidates whose message shows their suggestion otherwise than the list has it now."""
        posted = select(Candidate.id, Candidate.suggested_section, Candidate.discord_shown_suggestion).where(
            Candidate.status == PENDING,
            Candidate.discord_state == "posted",
            Candidate.discord_message_id.is_not(None),
            Candidate.suggested_section.is_not(None),
        )
        with database.reading() as session:
            sections = headings(session)
            rows = [(row[0], row[1], row[2]) for row in session.execute(posted.order_by(Candidate.id))]
            if sections != self._sections:
                self._sections, self._shown = sections, {}
            unresolved = {name for _, name, _ in rows if name and name not in self._shown}
            if unresolved:
                found = suggestions_among(labelled_sections(session), unresolved)
                self._shown.update((name, suggestion.shown()) for name, suggestion in found.items())
        return [number for number, name, shown in rows if shown != self._shown.get(name or "")]
