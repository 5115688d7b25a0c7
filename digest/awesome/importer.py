"""Importing the list's Markdown into the database: the diff against what it held, applied in the caller's
transaction. Every piece is stored verbatim so `liststore.render_markdown` gives the same bytes back.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from digest.awesome.import_report import REMOVAL_LIMIT as REMOVAL_LIMIT
from digest.awesome.import_report import ImportReport as ImportReport
from digest.awesome.import_report import removes_too_many as removes_too_many
from digest.awesome.import_report import renames
from digest.awesome.matching import (
    SectionKeys,
    matched_sections,
    pair_moves,
    paper_identity,
    renamed_papers,
    renamed_sections,
    slugify,
)
from digest.awesome.meta import list_meta as list_meta
from digest.awesome.meta import set_meta
from digest.awesome.notices_left import forget_notices_left
from digest.awesome.parse import PAPER_KIND, ParsedList, ParsedSection, check_storable, parse_bytes
from digest.awesome.reading import META_KEY, READER_VERSION
from digest.storage.connections import hold_changes_in_memory
from digest.storage.models import Entry, Paper, Section
from digest.titles import distinct_feed_keys, title_key

SHOWN = ("title", "arxiv_id", "url", "code_url", "other_urls")  # a paper's fields its feed item shows


def _snapshot_parsed(parsed: ParsedList, fields: dict[str, dict[str, Any]]) -> tuple[Any, ...]:
    """The list's text, and each entry's paper by title key and arXiv ID (read again, a list whose links this release
    reads an ID from gets it)."""
    papers = (tuple((e.key, fields[e.key]["arxiv_id"], e.raw) for e in s.entries) for s in parsed.sections)
    stored = tuple((s.intro_raw, s.level, s.kind, held) for s, held in zip(parsed.sections, papers, strict=True))
    return (parsed.preamble, parsed.trailer, stored)


def _snapshot_db(session: Session) -> tuple[Any, ...]:
    """The stored list as _snapshot_parsed gives the parsed one, read as rows (as objects: half a re-import's time)."""
    meta = list_meta(session)
    held: dict[int, list[tuple[str, str | None, str]]] = defaultdict(list)  # per section: its entries' papers, text
    rows = select(Entry.section_id, Paper.title_key, Paper.arxiv_id, Entry.raw).join(Paper, Paper.id == Entry.paper_id)
    for section_id, key, arxiv_id, raw in session.execute(rows.order_by(Entry.position)):
        held[section_id].append((key, arxiv_id, raw))
    query = select(Section.id, Section.intro_raw, Section.level, Section.kind).order_by(Section.position)
    stored = tuple((intro, level, kind, tuple(held[number])) for number, intro, level, kind in session.execute(query))
    return (meta.get("preamble", ""), meta.get("trailer", ""), stored)


def ordered_sections(session: Session) -> list[Section]:
    query = select(Section).order_by(Section.position).options(selectinload(Section.entries).selectinload(Entry.paper))
    return list(session.scalars(query))


def _sections_held(session: Session) -> list[Section]:
    """ordered_sections during an import: each entry's paper is one `_store_papers` holds in the session already, so
    `entry.paper` is taken from it without a query rather than all the list's papers being read again."""
    return list(session.scalars(select(Section).order_by(Section.position).options(selectinload(Section.entries))))


def _paper_fields(parsed: ParsedList) -> dict[str, dict[str, Any]]:
    """Per title key: the fields of its first entry, and every other URL any of its entries gives."""
    fields: dict[str, dict[str, Any]] = {}
    for section in parsed.sections:
        for entry in section.entries:
            found = fields.setdefault(
                entry.key,
                {
                    "title": entry.title or entry.key,
                    "kind": PAPER_KIND.get(section.kind, "paper"),
                    "arxiv_id": entry.paper_arxiv_id,
                    "url": entry.url,
                    "code_url": entry.code_url,
                    "published": entry.published,
                    "other_urls": [],
                },
            )
            for url in (entry.url, entry.badge_url, entry.code_url, *entry.other_links):
                if url and url not in (found["url"], found["code_url"]) and url not in found["other_urls"]:
                    found["other_urls"].append(url)
    return fields


def import_markdown(
    session: Session,
    data: bytes,
    *,
    source: str,
    now: datetime | None = None,
    progress: Callable[[int, int], None] | None = None,
    read_again: bool = False,
    parsed: ParsedList | None = None,
) -> ImportReport:
    """Makes the database hold exactly this list. Raises ListFormatError (one line) and changes nothing then.

    `progress(done, total)` hears about every section's entries, for a progress bar on big lists. `read_again`: the
    stored list's own bytes, read by a newer reading: a paper it finds was there all along, no news ("seed").
    `parsed`: parse_bytes(data, source), when the caller read it already (to lint it too: a big list is read once).
    """
    parsed = parsed or parse_bytes(data, source)
    check_storable(parsed, source)
    now = now or datetime.now(UTC)
    fields = _paper_fields(parsed)
    report = ImportReport(
        entries_total=sum(len(s.entries) for s in parsed.sections),
        sections_total=parsed.sections_with_entries,
        papers_total=len(fields),
        arxiv_ids_total=len({f["arxiv_id"] for f in fields.values() if f["arxiv_id"]}),
    )
    set_meta(session, META_KEY, READER_VERSION)  # the stored list is this release's reading of the Markdown
    if _snapshot_db(session) == _snapshot_parsed(parsed, fields):
        return report
    report.changed = True
    hold_changes_in_memory(session)  # a new data folder's import changes most of the file
    papers = _store_papers(session, fields, now, read_again=read_again)
    old_sections = _sections_held(session)
    old_places = _places_of(old_sections)
    matches, renamed = _matched_sections(old_sections, parsed)
    taken = {s.slug for s in old_sections}  # a new section's slug is none of them, even of one deleted here
    kept: set[int] = set()
    added: list[dict[str, Any]] = []
    done_entries = 0
    for position, (parsed_section, match) in enumerate(zip(parsed.sections, matches, strict=True)):
        old = old_sections[match] if match is not None else None
        stored = _store_section(session, parsed_section, position, old, taken)
        new_entries = _store_entries(
            stored, parsed_section, papers, now, (added, report.edited), renamed.get(position, {})
        )
        kept.update(e.id for e in new_entries if e.id is not None)
        stored.entries = new_entries
        done_entries += len(new_entries)
        if progress is not None:
            progress(done_entries, report.entries_total)
    for index, gone in enumerate(old_sections):
        if index not in matches:
            session.delete(gone)
    removed, held = _left(old_places, kept)
    report.added, moved, report.removed = pair_moves(added, removed)
    report.moved, report.renamed = renames(moved, removed, held, {s.name for s in parsed.sections})
    _store_meta(session, parsed, source=source, now=now, data=data)
    session.flush()
    forget_notices_left(session)  # with the papers that left, in their transaction
    return report


def _store_papers(session: Session, fields: dict[str, Any], now: datetime, *, read_again: bool) -> dict[str, Paper]:
    """Every paper the list names, created or updated from its entries' fields; by title key."""
    papers = {paper.title_key: paper for paper in session.scalars(select(Paper).order_by(Paper.id))}
    # The first import brings the list as it was ("seed": dated by the papers' own dates where news is told), as does
    # the stored list read again; a later one brings papers a maintainer added to the Markdown ("import": news).
    origin = "import" if papers and not read_again else "seed"
    held = {key: paper_identity(paper.arxiv_id, paper.url) for key, paper in papers.items()}
    listed = {key: paper_identity(values["arxiv_id"], values["url"]) for key, values in fields.items()}
    for new_key, old_key in renamed_papers(held, listed).items():
        papers[new_key] = papers.pop(old_key)  # its title was edited: the same paper, keeping its origin and dates
        papers[new_key].title_key = new_key
    for key, values in fields.items():
        paper = papers.get(key)
        if paper is None:
            paper = Paper(title_key=key, added_at=now, origin=origin, authors=[], other_urls=[])
            session.add(paper)
            papers[key] = paper
        shown = [getattr(paper, name) for name in SHOWN]
        for name, value in values.items():
            if getattr(paper, name) != value:
                setattr(paper, name, value)
        if paper.id is not None and not read_again and shown != [values[name] for name in SHOWN]:
            paper.changed_at = now  # what its feed item shows changed: a feed reader shows it again
    joined = sorted((papers[key] for key in fields), key=lambda paper: (paper.id is None, paper.id or 0))  # new last
    keys = distinct_feed_keys((paper.feed_key, paper.arxiv_id, paper.title_key) for paper in joined)
    for paper, distinct in zip(joined, keys, strict=True):
        paper.feed_key = distinct  # one id for each paper, as the feeds give it (web.feeds.list_guids)
    return papers


def _places_of(sections: Iterable[Section]) -> dict[str, list[tuple[str, Entry]]]:
    """Where each paper stood before the import: title key -> (section name, entry)."""
    places: dict[str, list[tuple[str, Entry]]] = defaultdict(list)
    for section in sections:
        for entry in section.entries:
            places[entry.paper.title_key].append((section.name, entry))
    return places


def _left(old_places: dict[str, list[tuple[str, Entry]]], kept: set[int]) -> tuple[list[dict[str, Any]], set[str]]:
    """The entries that left their section (removed, or moved), and the headings that held entries before."""
    removed = [
        {"section": name, "title": entry.paper.title, "line": None}
        for places in old_places.values()
        for name, entry in places
        if entry.id not in kept
    ]
    return removed, {name for places in old_places.values() for name, _ in places}


def _matched_sections(
    old_sections: list[Section], parsed: ParsedList
) -> tuple[list[int | None], dict[int, dict[str, datetime]]]:
    """For each parsed section, the index of the stored section it is (matching.matched_sections), or None; and for
    each one that renames a stored section (matching.renamed_sections), when each of its papers was put in there: a
    renamed heading's papers keep those dates, no news in the feeds (the section's label alone changed)."""
    natural: set[str] = set()
    held = [
        SectionKeys(title_key(s.name), s.slug, frozenset(e.paper.title_key for e in s.entries)) for s in old_sections
    ]
    listed = [
        SectionKeys(title_key(s.name), slugify(s.name, natural), frozenset(e.key for e in s.entries))
        for s in parsed.sections
    ]
    found = matched_sections(held, listed)
    renamed = renamed_sections(held, listed, found)
    return found, {
        position: {entry.paper.title_key: entry.added_at for entry in old_sections[index].entries}
        for position, index in renamed.items()
    }


def _store_section(
    session: Session, parsed_section: ParsedSection, position: int, stored: Section | None, taken: set[str]
) -> Section:
    """The stored section (or a new one, with a slug not in `taken`), with the parsed heading and intro."""
    if stored is None:
        slug = slugify(parsed_section.name, taken)
        stored = Section(slug=slug, name=parsed_section.name, level=parsed_section.level, position=position)
        session.add(stored)
    stored.name, stored.level, stored.position = parsed_section.name, parsed_section.level, position
    stored.intro_raw, stored.kind = parsed_section.intro_raw, parsed_section.kind
    return stored


def _store_entries(
    stored: Section,
    parsed_section: ParsedSection,
    papers: dict[str, Paper],
    now: datetime,
    noted: tuple[list[dict[str, Any]], list[dict[str, Any]]],
    since: dict[str, datetime],
) -> list[Entry]:
    """The section's entries in the parsed order, reusing its old entries of the same paper; new ones go in the first
    of `noted` (added), dated by `since` (title key -> when the paper was put in the section this one renames), else
    `now`, and old ones whose lines changed in the second (edited)."""
    added, edited = noted
    reusable: dict[str, list[Entry]] = defaultdict(list)
    for old_entry in stored.entries:
        reusable[old_entry.paper.title_key].append(old_entry)
    new_entries: list[Entry] = []
    for index, parsed_entry in enumerate(parsed_section.entries):
        candidates = reusable.get(parsed_entry.key)
        if candidates:
            stored_entry = candidates.pop(0)
            if stored_entry.raw != parsed_entry.raw:
                edited.append({"section": stored.name, "title": parsed_entry.title, "line": parsed_entry.line})
        else:
            stored_entry = Entry(paper=papers[parsed_entry.key], added_at=since.get(parsed_entry.key, now))
            added.append({"section": stored.name, "title": parsed_entry.title, "line": parsed_entry.line})
        values = {
            "position": index,
            "raw": parsed_entry.raw,
            "short_name": parsed_entry.short_name,
            # Free text in the parentheses; only dates are read back, and String(64) must not overflow.
            "date_text": parsed_entry.date_text[:64] if parsed_entry.date_text else None,
            "badge_arxiv_id": parsed_entry.badge_arxiv_id,
        }
        for name, value in values.items():
            if getattr(stored_entry, name) != value:
                setattr(stored_entry, name, value)
        new_entries.append(stored_entry)
    return new_entries


def _store_meta(session: Session, parsed: ParsedList, *, source: str, now: datetime, data: bytes) -> None:
    """The text around the sections, and where and when the list came from."""
    for key, value in (("preamble", parsed.preamble), ("trailer", parsed.trailer)):
        set_meta(session, key, value)
    set_meta(session, "source", source)
    set_meta(session, "imported_at", now.isoformat())
    set_meta(session, "sha256", hashlib.sha256(data).hexdigest())
