"""The list in the database: import the Markdown (with a diff report), render it back, add and remove entries.

Import keeps every piece of the maintainers' text verbatim, so rendering an unchanged list gives back the same
bytes; an entry added by the service is rendered from `templates/list/entry.md.j2` and put at its date's place.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.orm import Session

from digest.awesome.holding import sections_holding_each
from digest.awesome.labelled import labelled_sections
from digest.awesome.listed_ids import KnownKeys, known_keys, linked_ids
from digest.awesome.listfile import write_list_markdown
from digest.awesome.parse import ListFormatError
from digest.awesome.placement import (
    WrittenEntry,
    add_paper_entry,
    label_of,
    resolve_section,
    sections_called,
)
from digest.awesome.removal import remove_paper_entry
from digest.awesome.rendering import render_markdown
from digest.config import Settings
from digest.config.invocation import same_invocation
from digest.sizes import counted
from digest.storage.files import Staged, held_for_writing
from digest.storage.models import Entry, Paper, Section

if TYPE_CHECKING:
    from digest.awesome.importer import ImportReport, import_markdown
else:

    def import_markdown(*args: Any, **kwargs: Any) -> Any:
        """importer.import_markdown, loaded on the first import of a list: a decision (`digest approve`) renders and
        writes the list but reads none in, and the importer brings the list's lint along (start-up speed)."""
        from digest.awesome.importer import import_markdown as importing

        return importing(*args, **kwargs)


# Rendering (rendering.py), placing a paper (placement.py) and taking it out (removal.py) have their own modules:
# every name is importable from here as before, and the list's other code reaches them all through this module.
# Writing list.md stays here.
__all__ = [
    "ImportReport",
    "KnownKeys",
    "ListFormatError",
    "WrittenEntry",
    "add_paper_entry",
    "held_list",
    "import_counts",
    "import_markdown",
    "importing_command",
    "known_keys",
    "label_of",
    "labelled_sections",
    "linked_ids",
    "remove_paper_entry",
    "render_markdown",
    "resolve_section",
    "section_names",
    "sections_called",
    "sections_holding_each",
    "sections_with_entries",
    "stage_markdown",
    "unknown_section",
    "write_markdown",
    "written_entries",
]


def import_counts(report: ImportReport) -> str:
    """What an import did, counted: '0 added, 1 moved, 2 removed', and how many entries it changed in place (edited
    by hand, none added, moved or removed) when it changed any: nothing else would say an edit went in; and the
    headings renamed with all their entries (their entries are not counted as moved)."""
    edited = f", {len(report.edited)} edited" if report.edited else ""
    renamed = f", {counted(len(report.renamed), 'section')} renamed" if report.renamed else ""
    return f"{len(report.added)} added, {len(report.moved)} moved, {len(report.removed)} removed{edited}{renamed}"


def importing_command(settings: Settings) -> str:
    """The `digest list import PATH` that brings an edit of the list in, as the service is run (its settings file and
    data folder): run as printed from any shell, it acts on this database, not on ./data there."""
    return same_invocation(settings, "list", "import", "PATH")


def write_markdown(
    session: Session,
    settings: Settings,
    taken_out: frozenset[str] = frozenset(),
    decided_out: frozenset[str] = frozenset(),
) -> Path:
    """Renders the list and writes `list.md`, both under the file's lock: a decision in another process that
    renders later writes later, so the file never ends on the older of two decisions. `taken_out`: the papers a
    publish's pull took out; `decided_out`: those whose entry the decision just made took out (both: see
    listfile.keep_replaced)."""
    path = settings.list_markdown_path
    with held_for_writing(path):
        entries = session.scalar(select(func.count()).select_from(Entry)) or 0
        text = render_markdown(session, settings.templates_dir)
        importing = importing_command(settings)
        return write_list_markdown(
            path, text, entries, taken_out=taken_out, importing=importing, decided_out=decided_out
        )


def held_list(session: Session, templates_dir: Path) -> tuple[str, int]:
    """The list the database holds, rendered, and how many entries it holds: before an import, to lint the list as it
    was and to know list.md's entries without parsing it again (stage_markdown's `held`)."""
    entries = session.scalar(select(func.count()).select_from(Entry)) or 0
    return render_markdown(session, templates_dir), entries


def stage_markdown(session: Session, settings: Settings, staged: Staged, held: tuple[str, int] | None = None) -> Path:
    """write_markdown for a transaction not yet committed (`digest list import`): the list it holds rendered and
    written aside now, taking the room it needs, put in place as `list.md` when `staged` is finished, after the commit
    (a failure here rolls the transaction back). The caller holds the file's lock (held_for_writing) from before this
    until then, as write_markdown does. `held`: held_list before the import."""
    path = settings.list_markdown_path
    entries = session.scalar(select(func.count()).select_from(Entry)) or 0
    text = render_markdown(session, settings.templates_dir)
    known = (held[0].encode("utf-8"), held[1]) if held is not None else None
    return write_list_markdown(path, text, entries, staged=staged, importing=importing_command(settings), held=known)


def section_names(session: Session) -> list[str]:
    """The paper sections as they are offered to choose from, in the list's order: their names, a name the list
    repeats told apart by the heading above it ("Probing (2024)"); each one means its own section to resolve_section."""
    return [label for _, label in labelled_sections(session)]


def unknown_section(session: Session, wanted: str) -> str:
    """Why `wanted` means no one section of the list (resolve_section found none), in one line: a heading the list
    repeats, a name that fits several sections, else the list's sections to choose from."""
    from digest.awesome.sectionnames import SectionMatcher, several_fit, several_named

    several = sections_called(session, wanted)
    if len(several) > 1:  # a heading repeated in each year's block
        return several_named(wanted, several)
    labelled = labelled_sections(session)
    labels = [label for _, label in labelled]
    fitting = SectionMatcher([(section.name, section.slug) for section, _ in labelled], labels).fitting(wanted)
    if len(fitting) > 1:
        return several_fit(wanted, [labels[index] for index in fitting])
    return f"no section named {wanted!r} in the list (sections: {', '.join(labels)})"


def sections_with_entries(session: Session) -> int:
    """The sections as `list import` counts them (ParsedList.sections_with_entries), and the list page shows them:
    those holding entries; a section waiting for its first paper, or a heading over text alone, is none."""
    return session.scalar(select(func.count(Entry.section_id.distinct()))) or 0


def _named(arxiv_id: str | None, title_key: str | None) -> ColumnElement[bool]:
    """The papers whose title links to this arXiv ID, and with `title_key` those that name no arXiv ID and carry this
    title (a paper listed under its venue's link: the poll knows it by its title, and so does an approval)."""
    by_id = Paper.arxiv_id == arxiv_id
    return or_(by_id, and_(Paper.arxiv_id.is_(None), Paper.title_key == title_key)) if title_key else by_id


def paper_ids(session: Session, arxiv_id: str, title_key: str | None = None) -> set[int]:
    """The papers whose title links to this arXiv ID (one, unless a hand-kept list links it from two titles), and
    with `title_key` one that names no arXiv ID and has this title (`_named`)."""
    return set(session.scalars(select(Paper.id).where(_named(arxiv_id, title_key))))


def sections_holding(
    session: Session, arxiv_id: str | None = None, *, paper_id: int | None = None, title_key: str | None = None
) -> list[str]:
    """The sections with an entry for the paper whose title links to this arXiv ID (with `title_key`, as `_named`
    finds it; or for the paper `paper_id`), in the list's order, by their labels (a name the list repeats told apart:
    "Probing (2024)", as a decision names it)."""
    query = (
        select(Entry.section_id)
        .join(Paper, Paper.id == Entry.paper_id)
        .where(Paper.id == paper_id if paper_id is not None else _named(arxiv_id, title_key))
    )
    holding = set(session.scalars(query))
    labels = {section.id: label for section, label in labelled_sections(session)}  # the paper sections'
    sections = session.scalars(select(Section).where(Section.id.in_(holding)).order_by(Section.position))
    return [labels.get(section.id, section.name) for section in sections]


def written_entries(session: Session, paper_id: int) -> dict[int, WrittenEntry]:
    """The paper's entries as the list holds them, by their ids: an approval moving it takes its text along."""
    rows = session.execute(
        select(Entry.id, Entry.raw, Entry.short_name, Entry.date_text).where(Entry.paper_id == paper_id)
    )
    return {row.id: WrittenEntry(row.raw, row.short_name, row.date_text) for row in rows}
