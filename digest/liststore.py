"""The list in the database: import the Markdown (with a diff report), render it back, add and remove entries.

Import keeps every piece of the maintainers' text verbatim, so rendering an unchanged list gives back the same
bytes; an entry added by the service is rendered from `templates/list/entry.md.j2` and put at its date's place.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any, NamedTuple

import jinja2
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from digest import resources
from digest.awesome_entry import escape_text, render_entry_fields, safe_url
from digest.awesome_parse import ListFormatError, ParsedList, parse_bytes, parse_date, split_lines
from digest.models import Entry, ListMeta, Paper, Section
from digest.settings import Settings
from digest.titles import arxiv_id_from_url, split_arxiv_id, title_key

__all__ = [
    "ImportReport",
    "KnownKeys",
    "ListFormatError",
    "ListedPaper",
    "add_paper_entry",
    "import_markdown",
    "known_keys",
    "list_papers",
    "remove_paper_entry",
    "render_markdown",
    "resolve_section",
    "section_names",
    "write_markdown",
]

PAPER_KIND = {"surveys": "survey", "blog": "blog", "tool": "tool"}


@dataclass
class ImportReport:
    entries_total: int
    sections_total: int
    added: list[dict[str, Any]] = field(default_factory=list)
    moved: list[dict[str, Any]] = field(default_factory=list)
    removed: list[dict[str, Any]] = field(default_factory=list)
    changed: bool = False
    papers_total: int = 0
    arxiv_ids_total: int = 0


@dataclass
class KnownKeys:
    arxiv_ids: set[str]
    title_keys: set[str]  # only papers WITHOUT an arXiv ID (blog posts, OpenReview/AAAI-only papers)


class ListedPaper(NamedTuple):
    arxiv_id: str | None
    title: str
    sections: list[str]


def _slugify(name: str, taken: set[str]) -> str:
    base = title_key(name).replace(" ", "-") or "section"
    slug, number = base, 1
    while slug in taken:
        number += 1
        slug = f"{base}-{number}"
    taken.add(slug)
    return slug


def _snapshot_parsed(parsed: ParsedList) -> tuple[Any, ...]:
    return (
        parsed.preamble,
        parsed.trailer,
        tuple((s.intro_raw, s.level, tuple((e.key, e.raw) for e in s.entries)) for s in parsed.sections),
    )


def _snapshot_db(session: Session) -> tuple[Any, ...]:
    meta = _meta(session)
    return (
        meta.get("preamble", ""),
        meta.get("trailer", ""),
        tuple((s.intro_raw, s.level, tuple((e.paper.title_key, e.raw) for e in s.entries)) for s in _sections(session)),
    )


def _meta(session: Session) -> dict[str, str]:
    return {row.key: row.value for row in session.scalars(select(ListMeta))}


def _set_meta(session: Session, key: str, value: str) -> None:
    row = session.get(ListMeta, key)
    if row is None:
        session.add(ListMeta(key=key, value=value))
    elif row.value != value:
        row.value = value


def _sections(session: Session) -> list[Section]:
    query = select(Section).order_by(Section.position).options(selectinload(Section.entries).selectinload(Entry.paper))
    return list(session.scalars(query))


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
                    "arxiv_id": entry.arxiv_id or entry.badge_arxiv_id,
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


def import_markdown(session: Session, data: bytes, *, source: str, now: datetime | None = None) -> ImportReport:
    """Makes the database hold exactly this list. Raises ListFormatError (one line) and changes nothing then."""
    parsed = parse_bytes(data, source)
    for checked_section in parsed.sections:
        for checked in checked_section.entries:
            if checked.title is None or checked.url is None:
                raise ListFormatError(
                    f"{source}:{checked.line}: entry has no [Title](url) link; fix it (see `digest list lint`)"
                )
    now = now or datetime.now(UTC)
    entries_total = sum(len(s.entries) for s in parsed.sections)
    fields = _paper_fields(parsed)
    report = ImportReport(
        entries_total=entries_total,
        sections_total=len(parsed.sections),
        papers_total=len(fields),
        arxiv_ids_total=len({f["arxiv_id"] for f in fields.values() if f["arxiv_id"]}),
    )
    if _snapshot_db(session) == _snapshot_parsed(parsed):
        return report
    report.changed = True

    papers = {paper.title_key: paper for paper in session.scalars(select(Paper))}
    for key, values in fields.items():
        paper = papers.get(key)
        if paper is None:
            paper = Paper(title_key=key, added_at=now, origin="seed", authors=[], other_urls=[])
            session.add(paper)
            papers[key] = paper
        for name, value in values.items():
            if getattr(paper, name) != value:
                setattr(paper, name, value)

    old_sections = {s.slug: s for s in _sections(session)}
    old_places: dict[str, list[tuple[str, Entry]]] = defaultdict(list)  # title key -> (section name, entry)
    for old_section in old_sections.values():
        for old_entry in old_section.entries:
            old_places[old_entry.paper.title_key].append((old_section.name, old_entry))
    taken: set[str] = set()
    kept: set[int] = set()
    added: list[dict[str, Any]] = []
    for position, parsed_section in enumerate(parsed.sections):
        slug = _slugify(parsed_section.name, taken)
        stored = old_sections.pop(slug, None)
        if stored is None:
            stored = Section(slug=slug, name=parsed_section.name, level=parsed_section.level, position=position)
            session.add(stored)
        stored.name, stored.level, stored.position = parsed_section.name, parsed_section.level, position
        stored.intro_raw, stored.kind = parsed_section.intro_raw, parsed_section.kind
        reusable: dict[str, list[Entry]] = defaultdict(list)
        for old_entry in stored.entries:
            reusable[old_entry.paper.title_key].append(old_entry)
        new_entries: list[Entry] = []
        for index, parsed_entry in enumerate(parsed_section.entries):
            candidates = reusable.get(parsed_entry.key)
            if candidates:
                stored_entry = candidates.pop(0)
            else:
                stored_entry = Entry(paper=papers[parsed_entry.key], added_at=now)
                added.append({"section": stored.name, "title": parsed_entry.title, "line": parsed_entry.line})
            values = {
                "position": index,
                "raw": parsed_entry.raw,
                "short_name": parsed_entry.short_name,
                "date_text": parsed_entry.date_text,
                "badge_arxiv_id": parsed_entry.badge_arxiv_id,
            }
            for name, value in values.items():
                if getattr(stored_entry, name) != value:
                    setattr(stored_entry, name, value)
            new_entries.append(stored_entry)
        kept.update(e.id for e in new_entries if e.id is not None)
        stored.entries = new_entries
    for gone in old_sections.values():
        session.delete(gone)
    removed = [
        {"section": name, "title": entry.paper.title, "line": None}
        for places in old_places.values()
        for name, entry in places
        if entry.id not in kept
    ]
    report.added, report.moved, report.removed = _pair_moves(added, removed)
    for key, value in (("preamble", parsed.preamble), ("trailer", parsed.trailer)):
        _set_meta(session, key, value)
    _set_meta(session, "source", source)
    _set_meta(session, "imported_at", now.isoformat())
    _set_meta(session, "sha256", hashlib.sha256(data).hexdigest())
    session.flush()
    return report


def _pair_moves(
    added: list[dict[str, Any]], removed: list[dict[str, Any]]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    """An entry that left one section and arrived in another is reported once, as moved."""
    moved: list[dict[str, Any]] = []
    still_removed = list(removed)
    still_added: list[dict[str, Any]] = []
    for item in added:
        match = next((r for r in still_removed if title_key(r["title"]) == title_key(item["title"] or "")), None)
        if match is None:
            still_added.append(item)
            continue
        still_removed.remove(match)
        moved.append({"title": item["title"], "from": match["section"], "to": item["section"], "line": item["line"]})
    return still_added, moved, still_removed


@lru_cache(maxsize=8)
def _environment(templates_dir: str) -> jinja2.Environment:
    # autoescape is off on purpose: the list is Markdown the maintainers wrote, emitted verbatim. Text from
    # arXiv is escaped for Markdown before it ever reaches Entry.raw (see digest.awesome_entry).
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(templates_dir),
        autoescape=False,  # noqa: S701
        keep_trailing_newline=False,
        undefined=jinja2.StrictUndefined,
    )


def render_markdown(session: Session, templates_dir: Path) -> str:
    meta = _meta(session)
    sections = [{"intro_raw": s.intro_raw, "entries": [e.raw for e in s.entries]} for s in _sections(session)]
    template = _environment(str(templates_dir)).get_template("list/document.md.j2")
    return template.render(preamble=meta.get("preamble", ""), sections=sections, trailer=meta.get("trailer", ""))


def write_atomic(path: Path, text: str) -> None:
    """Writes the whole file or nothing: a temporary file in the same folder, flushed, then renamed over."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(text.encode("utf-8"))
            stream.flush()
            os.fsync(stream.fileno())
        Path(temporary).replace(path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def write_markdown(session: Session, settings: Settings) -> Path:
    path = settings.list_markdown_path
    write_atomic(path, render_markdown(session, settings.templates_dir))
    return path


def section_names(session: Session) -> list[str]:
    query = select(Section.name).where(Section.kind != "text").order_by(Section.position)
    return list(session.scalars(query))


def resolve_section(session: Session, name: str) -> Section | None:
    wanted = title_key(name)
    if not wanted:
        return None
    for section in session.scalars(select(Section).where(Section.kind != "text").order_by(Section.position)):
        if wanted in (title_key(section.name), title_key(section.slug)):
            return section
    return None


def _entry_date(entry: Entry) -> tuple[int, int, int] | None:
    return parse_date(entry.date_text) if entry.date_text else None


def _separator(section: Section) -> str:
    """The blank lines this section puts between entries (the most common ones; one blank line by default)."""
    tails = Counter(_trailing_blank_lines(e.raw) for e in section.entries[:-1])
    return tails.most_common(1)[0][0] if tails else "\n"


def _trailing_blank_lines(raw: str) -> str:
    lines = split_lines(raw)
    index = len(lines)
    while index > 1 and not lines[index - 1].strip():
        index -= 1
    return "".join(lines[index:])


def add_paper_entry(
    session: Session,
    *,
    section_name: str,
    title: str,
    arxiv_id: str | None,
    url: str | None,
    code_url: str | None,
    published: date | None,
    authors: list[str],
    abstract: str | None,
    short_name: str | None = None,
    now: datetime,
) -> Entry:
    """Puts a paper into a section at its date's place (newest first); a paper already there is left as is."""
    section = resolve_section(session, section_name)
    if section is None:
        raise ListFormatError(f"no section named {section_name!r} in the list")
    clean_title = " ".join(title.split())
    key = title_key(clean_title)
    if not key:
        raise ListFormatError(f"title {title!r} has no letters or digits")
    if arxiv_id is not None:
        try:
            arxiv_id = split_arxiv_id(arxiv_id)[0]
        except ValueError:
            raise ListFormatError(f"{arxiv_id!r} is not an arXiv identifier") from None
    link = safe_url(url) or (f"https://arxiv.org/abs/{arxiv_id}" if arxiv_id else None)
    if link is None:
        raise ListFormatError(f"paper {clean_title!r} has neither an arXiv ID nor an http(s) URL")
    code = safe_url(code_url)
    paper = None
    if arxiv_id is not None:
        paper = session.scalars(select(Paper).where(Paper.arxiv_id == arxiv_id).order_by(Paper.id)).first()
    if paper is None:
        paper = session.scalars(select(Paper).where(Paper.title_key == key)).first()
    if paper is None:
        paper = Paper(
            title_key=key,
            title=clean_title,
            kind=PAPER_KIND.get(section.kind, "paper"),
            arxiv_id=arxiv_id,
            url=link,
            other_urls=[],
            code_url=code,
            published=published,
            authors=list(authors),
            abstract=abstract,
            added_at=now,
            origin="review",
        )
        session.add(paper)
    else:
        existing = next((e for e in section.entries if e.paper_id == paper.id and paper.id is not None), None)
        if existing is not None:
            return existing
        paper.abstract = paper.abstract or abstract
        paper.authors = paper.authors or list(authors)
        paper.code_url = paper.code_url or code
        paper.published = paper.published or published
    date_text = f"{published:%b}. {published.day}, {published.year}" if published else None
    arxiv_link = f"https://arxiv.org/abs/{arxiv_id}" if arxiv_id else None
    lines = render_entry_fields(
        _environment(str(resources.templates_dir())),
        short_name=escape_text(short_name) if short_name else None,
        title=escape_text(clean_title),
        url=arxiv_link or link,
        date_text=date_text,
        arxiv_url=arxiv_link,
        code_url=code,
    )
    entries = list(section.entries)
    wanted = (published.year, published.month, published.day) if published else None
    index = len(entries)
    if wanted is None:
        index = 0
    else:
        for position, other in enumerate(entries):
            other_date = _entry_date(other)
            if other_date is not None and other_date < wanted:
                index = position
                break
    prefix = ""
    if index == len(entries) and entries and not entries[-1].raw.endswith("\n"):
        prefix = "\n"  # the old last line had no line end; the new entry must start on its own line
    entry = Entry(
        paper=paper,
        position=index,
        raw=prefix + lines + _separator(section),
        short_name=short_name,
        date_text=date_text,
        badge_arxiv_id=arxiv_id,
        added_at=now,
    )
    entries.insert(index, entry)
    for position, item in enumerate(entries):
        item.position = position
    section.entries = entries
    session.flush()
    return entry


def remove_paper_entry(session: Session, *, paper_id: int, section_name: str) -> bool:
    section = resolve_section(session, section_name)
    if section is None:
        return False
    entry = next((e for e in section.entries if e.paper_id == paper_id), None)
    if entry is None:
        return False
    entries = [e for e in section.entries if e is not entry]
    session.delete(entry)
    for position, item in enumerate(entries):
        item.position = position
    section.entries = entries
    session.flush()
    return True


def known_keys(session: Session) -> KnownKeys:
    """What the list already holds, for dedupe: arXiv IDs (title links, badges, other URLs) and bare titles."""
    arxiv_ids: set[str] = set()
    title_keys: set[str] = set()
    query = select(Paper).where(Paper.entries.any()).options(selectinload(Paper.entries))
    for paper in session.scalars(query):
        ids = {paper.arxiv_id} | {arxiv_id_from_url(u) for u in paper.other_urls}
        ids |= {e.badge_arxiv_id for e in paper.entries}
        found = {i for i in ids if i}
        arxiv_ids |= found
        if not paper.arxiv_id:
            title_keys.add(paper.title_key)
    return KnownKeys(arxiv_ids=arxiv_ids, title_keys=title_keys)


def list_papers(session: Session) -> list[ListedPaper]:
    """Every paper in the list with the sections holding it (positives for the relevance model)."""
    query = (
        select(Paper)
        .where(Paper.entries.any())
        .options(selectinload(Paper.entries).selectinload(Entry.section))
        .order_by(Paper.id)
    )
    listed = []
    for paper in session.scalars(query):
        names = sorted({(e.section.position, e.section.name) for e in paper.entries})
        listed.append(ListedPaper(paper.arxiv_id, paper.title, [name for _, name in names]))
    return listed
