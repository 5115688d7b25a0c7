"""Taking a paper's entry out of the list again (an approval undone): the section it is in found by the name it went
in under, the blank lines that end the section kept at its end."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from digest.awesome.importer import set_meta
from digest.awesome.placement import hand_over_tail, labelled_sections, resolve_section
from digest.awesome.rendering import trailing_blank_lines
from digest.storage.models import Entry, Section


def _entry_of(section: Section, paper_id: int) -> Entry | None:
    return next((entry for entry in section.entries if entry.paper_id == paper_id), None)


def remove_paper_entry(session: Session, *, paper_id: int, section_name: str, now: datetime) -> bool:
    """Takes the paper's entry out of the section; notes when (`entries_removed_at`: the feeds' Last-Modified moves
    on when a paper leaves, as when one arrives)."""
    section = resolve_section(session, section_name)
    if section is None:  # a name the list repeats ("Probing" in each year's block): the one holding the paper
        holding = [s for s, _ in labelled_sections(session) if s.name == section_name and _entry_of(s, paper_id)]
        section = holding[0] if len(holding) == 1 else None
    entry = _entry_of(section, paper_id) if section is not None else None
    if section is None or entry is None:
        return False
    entries = [e for e in section.entries if e is not entry]
    if entry is section.entries[-1] and entries and entry.raw.endswith("\n"):
        hand_over_tail(entries[-1], trailing_blank_lines(entry.raw))  # the section's end keeps its blank lines
    session.delete(entry)
    set_meta(session, "entries_removed_at", now.isoformat())
    for position, item in enumerate(entries):
        item.position = position
    section.entries = entries
    session.flush()
    return True
