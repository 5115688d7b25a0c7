"""Wiring: the database a service or command opens (created, migrated, seeded with the bundled list when new) and
the list kept in step with it: read again by a newer release, its Markdown written again after a crash. The running
service puts its parts together in service/process.py.

Only a new, empty data folder is seeded with the bundled list; a used folder without a usable database is refused
first (`data_folder`), before anything is written.
"""

from __future__ import annotations

import logging

from sqlalchemy import select, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from digest import resources
from digest.awesome.reading import META_KEY, READER_VERSION
from digest.config import Settings
from digest.config.invocation import password_note, same_invocation
from digest.service.data_folder import (
    UnusableDataError,
    check_before_opening,
    check_data_folder,
    refusal,
    signs_of_use,
)
from digest.sizes import counted
from digest.storage.db import Database, open_database
from digest.storage.models import Candidate, ListMeta, Section
from digest.storage.private import warn_open_to_others
from digest.text import one_line

log = logging.getLogger(__name__)


def open_service_database(settings: Settings, *, restoring: bool = False, writing: bool = True) -> Database:
    """Opens (creating and migrating if needed) the database; a new one in a new data folder gets the bundled list.

    `restoring` (`digest list import`) opens a used folder's empty database too, without seeding it; a new folder is
    seeded as always (the import then reports what differs from the bundled list). `writing` False (a command that
    only reads) lets a data folder this user cannot write through, and refuses a database an older release made."""
    check_data_folder(settings, writing=writing)
    if not writing:
        warn_open_to_others(settings.data_dir)
    if not restoring:
        check_before_opening(settings)
    database = open_database(settings.database_url, upgrading=writing)  # read before a backup: left as it is
    if restoring and signs_of_use(settings):
        return database
    # Seeded when the list is empty rather than when the schema was missing, so a first start that was cut off
    # between the migrations and the import finishes the job next time.
    with database.reading() as session:
        empty = session.scalar(select(Section.id).limit(1)) is None
        reading = session.scalar(select(ListMeta.value).where(ListMeta.key == META_KEY))
    if not empty:
        if reading != READER_VERSION:
            read_list_again(database, settings)
        return database
    from digest.awesome import store as liststore  # only a new database needs the list's code (and Jinja2)
    from digest.awesome.parse import ListFormatError
    from digest.config import ConfigError

    text = settings.seed_list.read_bytes()
    # Exclusive: processes started together on a new PostgreSQL database each find it empty; the later ones then
    # find the list imported (the same bytes: nothing to change) instead of inserting it a second time. The list and
    # the folder's signs of use are read again under the lock: a process started together may have imported the list
    # and written list.md since the read above, which would otherwise read as a used folder whose database lost it.
    try:
        with database.transaction(exclusive=True) as session:
            if session.scalar(select(Section.id).limit(1)) is not None:
                return database
            used = signs_of_use(settings)
            if used:
                raise refusal(settings, used, "the database holds no list")
            report = liststore.import_markdown(session, text, source=str(settings.seed_list))
    except ListFormatError as exc:  # a new user's list of headings with no paper yet, say: nothing was written
        database.dispose()
        raise ConfigError([f"seed_list {exc}"]) from None
    except UnusableDataError:
        database.dispose()
        raise
    log.info("new database: imported %s", _seeded_from(settings, report.entries_total))
    with database.reading() as session:
        liststore.write_markdown(session, settings)
    return database


def _seeded_from(settings: Settings, entries: int) -> str:
    """The list a new database was seeded with; for the bundled one (the README's first command starts so), how a
    maintainer of another list serves theirs."""
    counts = counted(entries, "entry", "entries")
    if settings.seed_list.resolve() != resources.seed_list_path().resolve():
        return f"the seed list {settings.seed_list} ({counts})"
    return (
        f"the bundled list ({counts}): for a list of your own, name its Markdown in seed_list (with list_title and"
        " feeds_dir) and give a new data_dir, or `digest list import --force YOUR.md` (README: 'Your own list')"
    )


class _TooManyRemovalsError(Exception):
    pass


def read_list_again(database: Database, settings: Settings) -> None:
    """The stored list, made by an older release's reading of the Markdown, read again by this one from its own
    bytes (which do not change): lines the older release took for entries and this one reads as text (an entry
    commented out, a News line linking a paper) leave the list's entries, and the log names them. A reading that
    would take out more than an edit by hand plausibly does is not applied: the log says how to look at it."""
    from digest.awesome import store as liststore
    from digest.awesome.importer import removes_too_many
    from digest.awesome.parse import ListFormatError

    try:
        # Rendering and importing that rendering must see the same entries, or an approval committed in between
        # would be taken out.
        with database.transaction(one_snapshot=True) as session:
            markdown = liststore.render_markdown(session, settings.templates_dir)
            renamed = _name_sections_anew(session, markdown.encode("utf-8"))
            report = liststore.import_markdown(
                session, markdown.encode("utf-8"), source="the stored list, read again by this release", read_again=True
            )
            if removes_too_many(report):
                raise _TooManyRemovalsError(", ".join(item["title"] for item in report.removed[:5]))
    except ListFormatError as exc:
        log.warning("list: this release cannot read the stored list again (%s); run `digest list lint`", exc)
        return
    except DBAPIError as exc:  # another process changed the list meanwhile, or read it again first
        log.info("list: not read again now (%s); the next start tries again", str(exc.orig).splitlines()[0])
        return
    except _TooManyRemovalsError as exc:
        log.warning(
            "list: read again by this release, %s and more would no longer be entries; not applied: see `%s`%s",
            exc,
            same_invocation(settings, "list", "import", settings.list_markdown_path, "--dry-run"),
            password_note(settings),
        )
        return
    if renamed:
        log.warning(
            "list: sections are named by their heading's text now (the file is unchanged): %s",
            one_line("; ".join(f"'{before}' is '{after}'" for before, after in renamed)),
        )
    if report.added or report.moved or report.removed:
        gone = "; ".join(f"{item['title']} ({item['section']})" for item in report.removed) or "none"
        log.warning(
            "list: read again by this release's reading of the Markdown (the file is unchanged): "
            "%d added, %d moved, %d no longer entries: %s",
            len(report.added),
            len(report.moved),
            len(report.removed),
            gone,
        )


def _name_sections_anew(session: Session, markdown: bytes) -> list[tuple[str, str]]:
    """The stored sections renamed as this release names the same headings (the release before named a section by
    its heading with the markup: 'a name="attn"></a>Attention', '**Probing**'), in place, so the reading that follows
    keeps each section and its entries rather than seeing them moved into a new one; (old name, new name) each."""
    from digest.awesome.importer import ordered_sections
    from digest.awesome.labelled import labelled_sections
    from digest.awesome.parse import parse_bytes
    from digest.storage.state import TrainingDecision

    stored = ordered_sections(session)
    parsed = parse_bytes(markdown, "the stored list").sections
    if len(parsed) != len(stored):
        return []
    renamed = [(held.name, read.name) for held, read in zip(stored, parsed, strict=True) if held.name != read.name]
    before = {held.id: held.name for held in stored}
    for held, read in zip(stored, parsed, strict=True):
        held.name = read.name
    if renamed:  # what the release before suggested, by the name (or label) each section is offered under now
        session.flush()
        once = {name for name in before.values() if list(before.values()).count(name) == 1}  # one section each
        now = {before[section.id]: label for section, label in labelled_sections(session) if before[section.id] in once}
        for candidate in session.scalars(select(Candidate).where(Candidate.suggested_section.is_not(None))):
            suggested = [now.get(name, name) for name in candidate.suggested_sections or ()]
            if suggested != list(candidate.suggested_sections or ()):
                candidate.suggested_sections = suggested
            if candidate.suggested_section in now:
                candidate.suggested_section = now[candidate.suggested_section]
        # Decisions teach the model their section by its label (relevance/gathering.py): a name this upgrade changed,
        # not the maintainers, is the section's still. The audit log (decisions) keeps what it recorded.
        for old, new in renamed:
            if old in once:
                session.execute(update(Candidate).where(Candidate.decided_section == old).values(decided_section=new))
                session.execute(update(TrainingDecision).where(TrainingDecision.section == old).values(section=new))
    return renamed


def list_file_in_step(database: Database, settings: Settings) -> bool:
    """Writes the list's Markdown again when the file differs from the database: a process stopped between a
    decision's commit and its file write (a kill, a crash) left it behind, and only the next decision would have
    written it. True when it was written."""
    from digest.awesome import store as liststore
    from digest.awesome.listfile import write_list_markdown
    from digest.storage.files import held_for_writing

    path = settings.list_markdown_path
    try:
        with held_for_writing(path):  # rendered under the file's lock, as every other writer of it does
            with database.reading() as session:
                markdown = liststore.render_markdown(session, settings.templates_dir)
            if not path.is_file():
                log.warning("list: %s was missing; written again from the database", path)
            elif path.read_bytes() == markdown.encode("utf-8"):
                return False
            # what the file held is kept by listfile's one rule (a hand edit apart from the rotation), and logged
            write_list_markdown(path, markdown, keep_any=True, importing=liststore.importing_command(settings))
    except OSError as exc:
        log.error("the list's Markdown %s could not be brought up to date: %s", path, exc.strerror or exc)
        return False
    return True
