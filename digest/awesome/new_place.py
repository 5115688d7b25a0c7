"""Where a new entry goes in its section: at its date's place in the section's own order, or, where no date decides,
last of the entries the section shows (never into a fold of older work). Pure: over the section's entries."""

from __future__ import annotations

from datetime import date

from digest.awesome.folded import shown_index
from digest.awesome.parse import oldest_first, parse_date
from digest.storage.models import Entry, Section


def new_entry_place(section: Section, published: date | None) -> tuple[int, bool]:
    """Where the new entry goes (its date's place, newest first) and whether no date decides it: then it goes last
    of the shown entries, never into a fold of older work."""
    index = dated_index(list(section.entries), published)
    shown = published is None or not any(entry.date_text for entry in section.entries)
    return (shown_index(section.intro_raw, [entry.raw for entry in section.entries], index) if shown else index), shown


def dated_index(entries: list[Entry], published: date | None) -> int:
    """Where a paper published then goes among the entries, in the section's own order (parse.oldest_first): newest
    first, 0 when undated, else above the first older dated entry, else at the end; oldest first, at the end when
    undated, else above the first newer dated entry."""
    dates = [parse_date(entry.date_text) if entry.date_text else None for entry in entries]
    ascending = oldest_first(dates)
    if published is None:
        return len(entries) if ascending else 0
    wanted = (published.year, published.month, published.day)
    for position, other in enumerate(dates):  # an entry dated by its year alone is the start of that year's group
        if other is not None and (other > wanted if ascending else other < wanted):
            return position
    return len(entries)
