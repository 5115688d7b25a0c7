"""Placing a paper in the list: the paper section a name means, the new entry (its paper found or made, its Markdown
written as its neighbours are: new_entry.py) put at its date's place in the section's order (newest first, or oldest
first where the maintainers keep it so), in the section's own line ends. Taking one out is removal.py's."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime
from itertools import pairwise
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, object_session

from digest.awesome.blank_lines import trailing_blank_lines
from digest.awesome.blocks import ends_in_html_block
from digest.awesome.entry import safe_url
from digest.awesome.entrystyle import ListHabits, entries_habits, in_section_style
from digest.awesome.entrystyle import date_text as entry_date_text
from digest.awesome.folded import take_fold
from digest.awesome.labelled import labelled_sections
from digest.awesome.new_entry import IN_LIST_ORDER, entry_lines, list_raws
from digest.awesome.new_place import new_entry_place
from digest.awesome.parse import PAPER_KIND, ListFormatError, split_lines
from digest.awesome.rendering import list_definitions
from digest.awesome.sectionnames import match_section
from digest.awesome.tables import is_row, table_of
from digest.storage.models import Entry, Paper, Section
from digest.titles import arxiv_abs_url, feed_key, split_arxiv_id, title_key


@dataclass(frozen=True)
class WrittenEntry:
    """An entry's text as the list holds it (a maintainer's edits in it: a short name, a star badge), to write it again
    in the section an approval moves the paper to."""

    raw: str
    short_name: str | None
    date_text: str | None


def resolve_section(session: Session, name: str) -> Section | None:
    """The paper section `name` means (sectionnames.match_section), or None when it means none or several."""
    labelled = labelled_sections(session)
    sections = [section for section, _ in labelled]
    found = match_section(name, [(s.name, s.slug) for s in sections], [label for _, label in labelled])
    return None if found is None else sections[found]


def _separator(section: Section, row: bool) -> str:
    """The blank lines this section puts between its entries (the most common ones; in a section of one entry, the
    list's; one blank line by default), none after a `row` of a table."""
    if row:
        return ""
    tails = Counter(trailing_blank_lines(e.raw) for e in section.entries[:-1] if not is_row(e.raw))
    if not tails and (session := object_session(section)) is not None:
        rows = session.execute(select(Entry.section_id, Entry.raw).join(Entry.section).order_by(*IN_LIST_ORDER)).all()
        between = [raw for (at, raw), (then, _) in pairwise(rows) if at == then]  # not the last of its section
        tails = Counter(trailing_blank_lines(raw) for raw in between if not is_row(raw))
    return tails.most_common(1)[0][0] if tails else _line_end(section)


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
    templates_dir: Path | None = None,
    moved: WrittenEntry | None = None,
) -> Entry:
    """Puts a paper into a section at its date's place (newest first); a paper already there is left as is. The entry
    is written with `list/entry.md.j2` from `templates_dir` when it holds one, else the bundled one; a paper the list
    holds in another section under its own title and short name (not arXiv's) keeps them; an entry `moved` from another
    section keeps its own lines."""
    section = resolve_section(session, section_name)
    if section is None:
        raise ListFormatError(f"no section named {section_name!r} in the list")
    clean_title = " ".join(title.split())
    key = title_key(clean_title)
    if not key:
        raise ListFormatError(f"title {title!r} has no letters or digits")
    arxiv_id = _checked_arxiv_id(arxiv_id)
    link = safe_url(url) or (arxiv_abs_url(arxiv_id) if arxiv_id else None)
    if link is None:
        raise ListFormatError(f"paper {clean_title!r} has neither an arXiv ID nor an http(s) URL")
    code = safe_url(code_url)
    paper = _known_paper(session, arxiv_id, key)
    if paper is None:
        paper = Paper(title_key=key, title=clean_title, feed_key=feed_key(arxiv_id, key), arxiv_id=arxiv_id, url=link,
                      kind=PAPER_KIND.get(section.kind, "paper"), other_urls=[], code_url=code, published=published,
                      authors=list(authors), abstract=abstract, added_at=now, origin="review")  # fmt: skip
        session.add(paper)
    else:
        existing = next((e for e in section.entries if e.paper_id == paper.id and paper.id is not None), None)
        if existing is not None:
            return existing
        _fill_in(paper, abstract=abstract, authors=authors, code_url=code, published=published)
        if paper.entries:  # the list names it its own way: so does this entry, or import reads another paper
            clean_title, short_name = paper.title, paper.entries[0].short_name
    habits = _habits(session, section)  # no bold name, badge or date where the section's entries have none
    short_name = short_name if habits.short_names else None
    # The section's dates, else every date the list writes (a style is most of them; a few thousand short strings)
    written = [e.date_text for e in section.entries] or session.scalars(
        select(Entry.date_text).where(Entry.date_text.is_not(None)).join(Entry.section).order_by(*IN_LIST_ORDER)
    ).all()
    date_text = entry_date_text(published, written) if habits.dates else None  # as the section, else the list, does
    index, shown = new_entry_place(section, published)
    lines = _moved_lines(moved, section, index)
    if lines is not None and moved is not None:
        short_name, date_text = moved.short_name, moved.date_text
    else:
        lines = entry_lines(templates_dir, section, index, short_name, clean_title, arxiv_id, link, date_text, code,
                             habits.arxiv_badges, paper.authors or authors, published)  # fmt: skip
    return _insert_entry(session, section, paper, lines, short_name, date_text, arxiv_id, index, now, shown=shown)


def _habits(session: Session, section: Section) -> ListHabits:
    """What the section's entries carry besides their title links (bold names, badges, dates), else the list's."""
    if section.entries:  # a list may name its papers in bold but not its surveys, badge papers but not blog posts
        return entries_habits([(e.short_name, e.badge_arxiv_id, e.date_text) for e in section.entries])
    columns = select(Entry.short_name, Entry.badge_arxiv_id, Entry.date_text)
    return entries_habits([(short, badge, written) for short, badge, written in session.execute(columns)])


def _fill_in(
    paper: Paper, *, abstract: str | None, authors: list[str], code_url: str | None, published: date | None
) -> None:
    """A paper the list holds already gets what it lacks of what the new entry knows; what it has stays."""
    paper.abstract = paper.abstract or abstract
    paper.authors = paper.authors or list(authors)
    paper.code_url = paper.code_url or code_url
    paper.published = paper.published or published


def _checked_arxiv_id(arxiv_id: str | None) -> str | None:
    """The ID without its version; ListFormatError when it is not an arXiv ID."""
    if arxiv_id is None:
        return None
    try:
        return split_arxiv_id(arxiv_id)[0]
    except ValueError:
        raise ListFormatError(f"{arxiv_id!r} is not an arXiv identifier") from None


def _known_paper(session: Session, arxiv_id: str | None, key: str) -> Paper | None:
    """The paper the list already holds under this arXiv ID, else under this title key."""
    paper = None
    if arxiv_id is not None:
        paper = session.scalars(select(Paper).where(Paper.arxiv_id == arxiv_id).order_by(Paper.id)).first()
    if paper is None:
        paper = session.scalars(select(Paper).where(Paper.title_key == key)).first()
    return paper


def _moved_lines(moved: WrittenEntry | None, section: Section, index: int) -> str | None:
    """A moved entry's own lines, without the blank lines after it and its indentation (the new place gives both);
    None where it or its new place is a row of a table (a row is written anew in its table's columns)."""
    if moved is None or is_row(moved.raw):
        return None
    if table_of(section.intro_raw, [e.raw for e in section.entries], index, list_definitions(section)):
        return None
    text = moved.raw.replace("\r\n", "\n").replace("\r", "\n").lstrip("\n")
    text = text[: len(text) - len(trailing_blank_lines(text))]
    if not text.strip():
        return None
    text += "" if text.endswith("\n") else "\n"  # it was the file's last line: a line end ends it here
    indent = text[: len(text) - len(text.lstrip(" \t"))]
    return "".join(line.removeprefix(indent) for line in split_lines(text))


def _insert_entry(
    session: Session,
    section: Section,
    paper: Paper,
    lines: str,
    short_name: str | None,
    date_text: str | None,
    arxiv_id: str | None,
    index: int,
    now: datetime,
    shown: bool = False,
) -> Entry:
    """The entry goes in at `index`, its date's place (_dated_index); positions are renumbered."""
    date_text = date_text if date_text and date_text in lines else None  # a row of a table may not show it
    entries = list(section.entries)
    raws = [entry.raw for entry in entries]
    bullets = raws or list_raws(section)
    folded = ""  # going in above a '<details>' fold, it takes the lines opening it from the entry above
    if shown and (fold := take_fold(section.intro_raw, raws, index)) is not None:
        entries[index - 1].raw, folded, raws = fold[0], fold[1], raws[:index]  # numbered on from the shown ones
    lines = in_section_style(lines, raws, index, line_end=_line_end(section), bullets=bullets)
    prefix, tail = "", _separator(section, is_row(lines))
    last = entries[-1].raw if entries else section.intro_raw  # the text the entry goes after, at the section's end
    if index == len(entries) and last and not last.endswith(("\n", "\r")):
        prefix = _line_end(section)  # the file's last line had no line end; the new entry starts on its own line
        lines, tail = lines.rstrip("\r\n"), ""  # and ends the file as that line did, without one
    elif index == len(entries) and entries:
        tail = hand_over_tail(entries[-1], tail)
    if ends_in_html_block(section.intro_raw + "".join(raws[:index]) + prefix):
        prefix += _line_end(section)  # a blank line ends the '<details><summary>' block, or GitHub shows it as text
    entry = Entry(
        paper=paper,
        position=index,
        raw=prefix + lines + tail + folded,
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


def hand_over_tail(entry: Entry, separator: str) -> str:
    """The blank lines that end the section (before the next heading) stay at its end: `entry`, no longer the last,
    gives them to the entry after it and keeps `separator`, the blank lines between the section's entries (an entry
    going in after it here, one taken out after it in removal.py)."""
    own = trailing_blank_lines(entry.raw)
    if entry.raw.endswith(("\n", "\r")) and own != separator:
        entry.raw = entry.raw[: len(entry.raw) - len(own)] + separator
    return own if entry.raw.endswith(("\n", "\r")) else separator


def _line_end(section: Section) -> str:
    """The line end the section's text uses (its entries', else its heading's, else the list's): CRLF, LF or an old
    Mac's bare CR, whichever ends most of its lines."""
    text = "".join(entry.raw for entry in section.entries) or section.intro_raw or ""
    if "\n" not in text and "\r" not in text and (session := object_session(section)) is not None:  # the last line
        text = "".join(session.scalars(select(Section.intro_raw)))
    ends = Counter(line[len(line.rstrip("\r\n")) :] for line in split_lines(text))
    return max(("\n", "\r\n", "\r"), key=lambda end: ends[end])


def sections_called(session: Session, name: str) -> list[str]:
    """The labels of the paper sections whose name is `name` (without case or punctuation)."""
    return [label for section, label in labelled_sections(session) if title_key(section.name) == title_key(name)]


def label_of(session: Session, section: Section) -> str:
    """The label `section` is offered and recorded under (its name, unless the list repeats that name)."""
    return next(label for found, label in labelled_sections(session) if found.id == section.id)
