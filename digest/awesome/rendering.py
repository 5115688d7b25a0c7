"""The list rendered back to its Markdown from the database (`templates/list/`), and the one Jinja2 environment the
list's templates are rendered with (the whole list here, a new entry in placement.py), and the link reference
definitions the stored list holds."""

from __future__ import annotations

from collections.abc import Collection
from functools import lru_cache
from pathlib import Path

import jinja2
from sqlalchemy import select
from sqlalchemy.orm import Session, object_session

from digest.awesome.blank_lines import end_left_by_entries, trailing_blank_lines
from digest.awesome.blocks import hidden_lines
from digest.awesome.meta import list_meta
from digest.awesome.parse import split_lines
from digest.awesome.references import definitions
from digest.storage.models import Entry, Section
from digest.templating import template_loader


@lru_cache(maxsize=8)
def list_environment(templates_dir: str) -> jinja2.Environment:
    """The Jinja2 environment of the list's templates in `templates_dir` (kept: every approval renders the list)."""
    # autoescape is off on purpose: the list is Markdown the maintainers wrote, emitted verbatim. Text from
    # arXiv is escaped for Markdown before it ever reaches Entry.raw (see digest.awesome.entry).
    return jinja2.Environment(
        loader=template_loader(Path(templates_dir)),
        autoescape=False,  # noqa: S701
        keep_trailing_newline=False,
        undefined=jinja2.StrictUndefined,
    )


def render_markdown(session: Session, templates_dir: Path, *, leaving_out: Collection[int] = ()) -> str:
    """The list's Markdown; `leaving_out` names entries (by id) to render it without."""
    meta = list_meta(session)
    # Only the verbatim text is read (as rows, not objects with their papers): every approval renders the list.
    raws: dict[int, list[str]] = {}
    ends: dict[int, str] = {}  # a section whose last entries are left out: the blank lines that ended it
    rows = session.execute(select(Entry.id, Entry.section_id, Entry.raw).order_by(Entry.position))
    for entry_id, section_id, raw in rows:
        if entry_id not in leaving_out:
            raws.setdefault(section_id, []).append(raw)
            ends.pop(section_id, None)
        elif raw.endswith(("\n", "\r")):
            ends[section_id] = trailing_blank_lines(raw)
    for section_id, end in ends.items():  # they stay at its end, as taking those entries out leaves them
        if raws.get(section_id):
            last = raws[section_id][-1]
            raws[section_id][-1] = last.removesuffix(trailing_blank_lines(last)) + end
    query = select(Section.id, Section.intro_raw).order_by(Section.position)
    sections = [
        {
            "intro_raw": intro
            if raws.get(section_id)
            else intro + end_left_by_entries(intro, ends.get(section_id, "")),
            "entries": raws.get(section_id, []),
        }
        for section_id, intro in session.execute(query)
    ]
    template = list_environment(str(templates_dir)).get_template("list/document.md.j2")
    return template.render(preamble=meta.get("preamble", ""), sections=sections, trailer=meta.get("trailer", ""))


def list_definitions(section: Section) -> dict[str, str]:
    """The link reference definitions of the list `section` is in ('[sae]: https://...', anywhere in it: its end, as a
    rule), by which its rows may link their papers ('| [Title][sae] |'); none outside a session."""
    session = object_session(section)
    if session is None:
        return {}
    meta = list_meta(session)
    pieces = [meta.get("preamble", ""), *session.scalars(select(Section.intro_raw).order_by(Section.position))]
    pieces += [*session.scalars(select(Entry.raw).where(Entry.raw.contains("]:"))), meta.get("trailer", "")]
    lines = [line for piece in pieces for line in split_lines(piece)]
    return definitions(lines, hidden_lines(lines))
