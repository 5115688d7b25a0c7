"""Wiring: the one place where the parts are put together (database, list, poller, web, bot, scheduler)."""

from __future__ import annotations

import logging

from sqlalchemy import select

from digest.db import Database, open_database
from digest.models import Section
from digest.settings import Settings

log = logging.getLogger(__name__)


def open_service_database(settings: Settings) -> Database:
    """Opens (creating and migrating if needed) the database; a new one starts with the bundled list imported."""
    from digest import liststore

    database = open_database(settings.database_url)
    # Seeded when the list is empty rather than when the schema was missing, so a first start that was cut off
    # between the migrations and the import finishes the job next time.
    with database.reading() as session:
        empty = session.scalar(select(Section.id).limit(1)) is None
    if empty:
        text = settings.seed_list.read_bytes()
        with database.transaction() as session:
            report = liststore.import_markdown(session, text, source=str(settings.seed_list))
        log.info("new database: imported the bundled list (%s entries)", report.entries_total)
        with database.reading() as session:
            liststore.write_markdown(session, settings)
    return database
