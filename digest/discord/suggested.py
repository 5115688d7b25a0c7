"""What each posted candidate's message shows of its suggested section, held against the list's sections now: a heading
renamed, taken out or repeated since (`digest list import`, a publish's pull of the list, a start that reads the list
again) edits the pending messages whose suggestion it changes, and the decided ones it offers ✅ again (a maintainer's
✅ refused meanwhile then decides), and no other (Discord limits edits)."""

from __future__ import annotations

from sqlalchemy import ColumnElement, Select, select
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


def _posted(*which: ColumnElement[bool]) -> Select[tuple[int, str | None, str | None]]:
    """Posted candidates (`which` of them) with a suggestion: their id, suggestion, what their message shows of it."""
    return select(Candidate.id, Candidate.suggested_section, Candidate.discord_shown_suggestion).where(
        *which,
        Candidate.discord_state == "posted",
        Candidate.discord_message_id.is_not(None),
        Candidate.suggested_section.is_not(None),
    )


def headings(session: Session) -> SectionRows:
    """The list's headings, in its order: a few dozen short rows, read each round to tell whether any changed."""
    query = select(Section.name, Section.slug, Section.level, Section.kind).order_by(Section.position)
    return tuple((row[0], row[1], row[2], row[3]) for row in session.execute(query))


class ShownSuggestions:
    """Each background round reads the list's headings (a few dozen short rows) and the pending messages' recorded
    suggestions; a suggested name is resolved again only when the headings changed. Decided messages pile up over the
    years: those offering no ✅ are read when the headings change, and again each round while owed an edit."""

    def __init__(self) -> None:
        self._sections: SectionRows | None = None
        self._shown: dict[str, str] = {}  # suggested name -> what a message shows of it, for self._sections
        self._decided: set[int] = set()  # decided messages offering no ✅ whose suggestion the list shows otherwise now

    def stale(self, database: Database) -> list[int]:
        """Posted pending candidates whose message shows their suggestion otherwise than the list has it now, and
        decided ones whose message offers no ✅ and shows their suggestion otherwise (the heading back, say)."""
        with database.reading() as session:
            sections = headings(session)
            rows = [(row[0], row[1], row[2]) for row in session.execute(_posted(Candidate.status == PENDING))]
            pending = {number for number, _, _ in rows}
            decided = _posted(Candidate.status != PENDING)
            if sections != self._sections:  # the decided messages offering no ✅, as the bot recorded them
                self._sections, self._shown = sections, {}
                offering_none = session.execute(decided.where(Candidate.discord_offers_approve.is_(False)))
                rows.extend((row[0], row[1], row[2]) for row in offering_none)
            elif self._decided:  # those owed an edit (Discord failed it): until shown as the list has it
                owed = session.execute(decided.where(Candidate.id.in_(self._decided)))
                rows.extend((row[0], row[1], row[2]) for row in owed)
            unresolved = {name for _, name, _ in rows if name and name not in self._shown}
            if unresolved:
                found = suggestions_among(labelled_sections(session), unresolved)
                self._shown.update((name, suggestion.shown()) for name, suggestion in found.items())
        stale = [number for number, name, shown in rows if shown != self._shown.get(name or "")]
        self._decided = set(stale).difference(pending)
        return sorted(stale)


def legend_emojis(database: Database, section_emojis: dict[str, str]) -> dict[str, str]:
    """[discord.section_emojis] as a message's legend offers them: each section by the list's name for it now (a
    heading renamed since: where its reaction approves), and one whose section the list no longer has left out (its
    reaction approves nothing; `digest config check` names it)."""
    from digest.awesome import store as liststore

    offered: dict[str, str] = {}
    with database.reading() as session:
        for name, emoji in section_emojis.items():
            section = liststore.resolve_section(session, name)
            if section is not None:
                offered.setdefault(liststore.label_of(session, section), emoji)
    return offered
