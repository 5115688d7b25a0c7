"""What each posted candidate's message shows of its suggested section, held against the list's sections now: a heading
renamed, taken out or repeated since (`digest list import`, a publish's pull of the list, a start that reads the list
again) edits the pending messages whose suggestion it changes, and the decided ones it offers ✅ again (a maintainer's
✅ refused meanwhile then decides), and the pending ones whose legend offers a section emoji otherwise, and no other
(Discord limits edits)."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence

from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.orm import Session

from digest.awesome.labelled import labelled_sections
from digest.discord.legend import section_legend
from digest.review.rules import SuggestedSection
from digest.review.suggestions import suggestions_among
from digest.storage.db import Database
from digest.storage.models import PENDING, Candidate, Section

SectionRows = tuple[tuple[str, str, int, str], ...]
# Each round asks for at most this many edits of messages the list's headings changed (Discord limits edits), going on
# from there at the next round.
EDITS_PER_ROUND = 20


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


def offered_emojis(labelled: Sequence[tuple[Section, str]], section_emojis: Mapping[str, str]) -> dict[str, str]:
    """[discord.section_emojis] as a message's legend offers them: each section by the list's name for it now (a
    heading renamed since: where its reaction approves), and one whose section the list no longer has (or has twice)
    left out (its reaction approves nothing; `digest config check` names it). `labelled`: the list's sections, read."""
    found = suggestions_among(labelled, section_emojis)
    offered: dict[str, str] = {}
    for name, emoji in section_emojis.items():
        if (label := found[name].label) is not None:
            offered.setdefault(label, emoji)
    return offered


def legend_shown(recorded: str | None, section_emojis: Mapping[str, str]) -> str:
    """The section legend a message shows (`Candidate.discord_shown_legend`); one posted by the release before, which
    recorded none, offers each emoji by the config's name."""
    return section_legend(section_emojis) if recorded is None else recorded


class ShownLegends:
    """Each background round: the pending messages whose legend offers the section emojis otherwise than the list now
    (a heading renamed or taken out since), at most EDITS_PER_ROUND of them (Discord limits edits); the legend is
    worked out again only when the list's headings changed."""

    def __init__(self, section_emojis: Mapping[str, str]) -> None:
        self._section_emojis = section_emojis
        self._sections: SectionRows | None = None
        self._legend = ""

    def stale(self, database: Database, skipped: Collection[int] = ()) -> list[int]:
        """Those pending messages, but `skipped` (Discord forbids their edit, or it waits its back-off)."""
        with database.reading() as session:
            sections = headings(session)
            if sections != self._sections:
                offered = offered_emojis(labelled_sections(session), self._section_emojis)
                self._sections, self._legend = sections, section_legend(offered)
            before = legend_shown(None, self._section_emojis)  # what a message of the release before offers
            query = (
                select(Candidate.id)
                .where(
                    Candidate.status == PENDING,
                    Candidate.discord_state == "posted",
                    Candidate.discord_message_id.is_not(None),
                    func.coalesce(Candidate.discord_shown_legend, before) != self._legend,
                    Candidate.id.not_in(list(skipped)),
                )
                .order_by(Candidate.id)
                .limit(EDITS_PER_ROUND)
            )
            return list(session.scalars(query))
