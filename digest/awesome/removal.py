"""Taking a paper's entry out of the list again (an approval undone): the section it is in found by the name it went
in under, the blank lines that end the section kept at its end."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from digest.awesome.blank_lines import end_left_by_entries, trailing_blank_lines
from digest.awesome.labelled import labelled_sections
from digest.awesome.meta import list_meta, set_meta
from digest.awesome.notices_left import forget_notices_left
from digest.awesome.placement import hand_over_tail, resolve_section
from digest.awesome.tables import empty_table_header
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
    if entry is section.entries[-1] and entry.raw.endswith(("\n", "\r")):  # the section's end keeps its blank lines
        if entries:
            hand_over_tail(entries[-1], trailing_blank_lines(entry.raw))
        else:
            _keep_section_end(session, section, trailing_blank_lines(entry.raw))
    session.delete(entry)
    set_meta(session, "entries_removed_at", now.isoformat())
    for position, item in enumerate(entries):
        item.position = position
    section.entries = entries
    session.flush()
    forget_notices_left(session)  # unless the list holds the paper elsewhere too
    return True


def _keep_section_end(session: Session, section: Section, blank_lines: str) -> None:
    """The blank lines that ended a section's last entry, the section left with none, go where import reads them in
    such a section: under its text, unless that ends in a blank line already; after a table with no row left, at the
    start of what follows (the next section's text, else the list's trailer), so a paper approved into the table
    again goes in right under its header, as a row."""
    blank_lines = end_left_by_entries(section.intro_raw, blank_lines)
    if not blank_lines:
        return
    if empty_table_header(section.intro_raw) is None:
        section.intro_raw += blank_lines
        return
    following = session.scalars(
        select(Section).where(Section.position > section.position).order_by(Section.position).limit(1)
    ).first()
    if following is not None:
        following.intro_raw = blank_lines + following.intro_raw
    else:
        set_meta(session, "trailer", blank_lines + list_meta(session).get("trailer", ""))
