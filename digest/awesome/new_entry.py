"""A new entry's lines, written as its neighbours are: a row of the table it goes into, an entry written title or
authors first among such entries (authored_entry.py), else `list/entry.md.j2`'s lines."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import object_session

from digest import resources
from digest.awesome.authored_entry import NewPaper, authored_lines
from digest.awesome.entry import escape_text, render_entry_fields
from digest.awesome.rendering import list_definitions, list_environment
from digest.awesome.tables import empty_cell, table_of, table_row
from digest.storage.models import Entry, Section
from digest.titles import arxiv_abs_url

IN_LIST_ORDER = (Section.position, Entry.position)  # a tie of two styles goes to the first, not to any row read first


def entry_lines(
    templates_dir: Path | None,
    section: Section,
    index: int,
    short_name: str | None,
    clean_title: str,
    arxiv_id: str | None,
    link: str,
    date_text: str | None,
    code: str | None,
    badge: bool = True,
    authors: Sequence[str] = (),
    published: date | None = None,
) -> str:
    """The new entry's Markdown lines, every value escaped; the title links the arXiv page when there is one, and
    the arXiv badge line does too where the list's entries carry one (`badge`). Going in at `index` into a table
    (tables.table_of), a row of that table, in its columns; among entries written title or authors first (the title
    in bold, the authors, the venue and year, the paper's link labelled '[paper]'), written as they are."""
    arxiv_link = arxiv_abs_url(arxiv_id) if arxiv_id else None
    raws = [entry.raw for entry in section.entries]
    header = table_of(section.intro_raw, raws, index, list_definitions(section))
    if header is not None:
        title = escape_text(clean_title)
        dated = sum(entry.date_text is not None for entry in section.entries) * 2 > len(raws)
        return table_row(header, title=title, url=arxiv_link or link, arxiv_url=arxiv_link, date_text=date_text,
                         code_url=code, dated_titles=dated, empty=empty_cell(raws))  # fmt: skip
    new = NewPaper(escape_text(clean_title), authors, published.year if published else None, arxiv_link or link,
                   arxiv_link is not None, code)  # fmt: skip
    if (authored := authored_lines(raws or list_raws(section), lambda: list_raws(section), new)) is not None:
        return authored
    return render_entry_fields(
        list_environment(str(templates_dir or resources.templates_dir())),
        short_name=escape_text(short_name) if short_name else None,
        title=escape_text(clean_title),
        url=arxiv_link or link,
        date_text=date_text,
        arxiv_url=arxiv_link if badge else None,
        code_url=code,
    )


def list_raws(section: Section) -> list[str]:
    """The text of every entry of the list `section` is in, in the list's order."""
    session = object_session(section)
    query = select(Entry.raw).join(Entry.section).order_by(*IN_LIST_ORDER)
    return [] if session is None else list(session.scalars(query))
