"""Wiring: the one place where the parts are put together (database, list, poller, web, bot, scheduler)."""

from __future__ import annotations

import logging

from digest.db import Database, is_empty, open_database
from digest.settings import Settings

log = logging.getLogger(__name__)


def open_service_database(settings: Settings) -> Database:
    """Opens (creating and migrating if needed) the database; a new one starts with the bundled list imported."""
    from digest import liststore
    from digest.db import create_database_engine

    probe = create_database_engine(settings.database_url)
    try:
        fresh = is_empty(probe)
    finally:
        probe.dispose()
    database = open_database(settings.database_url)
    if fresh:
        text = settings.seed_list.read_bytes()
        with database.transaction() as session:
            report = liststore.import_markdown(session, text, source=str(settings.seed_list))
        log.info("new database: imported the bundled list (%s entries)", report.entries_total)
        with database.transaction() as session:
            liststore.write_markdown(session, settings)
    return database
