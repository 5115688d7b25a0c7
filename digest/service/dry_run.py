"""The database a dry run of `digest list import` tries the import in when the data folder has none yet (a new folder,
or one whose database was lost): made as the import itself would make it, in a temporary file, with nothing written
to the data folder."""

from __future__ import annotations

from typing import TYPE_CHECKING

from digest.config import ConfigError
from digest.service.data_folder import check_before_opening, check_data_folder, signs_of_use, sqlite_file
from digest.storage.db import migrate
from digest.storage.private import warn_open_to_others
from digest.storage.snapshot import scratch_database

if TYPE_CHECKING:
    from digest.config import Settings
    from digest.storage.db import Database


def database_to_come(settings: Settings, *, refusing_used: bool = False) -> Database | None:
    """For a data folder with no database yet (missing, or a SQLite file that is missing or empty): the database the
    import would open there (this release's schema, with the seed list in it unless the folder was used, as the import
    restores a lost database from the file alone) made in a temporary file (storage/snapshot.scratch_database), to be
    disposed of. Nothing is written to the data folder: neither the folder, nor its database, list.md or secrets.json.
    None when there is a database (or it is not a SQLite file): the dry run opens it as every command does. A command
    that only reads (`refusing_used`) is refused a used folder whose database was lost, as when it opens one."""
    path = sqlite_file(settings)
    if path is None:
        return None
    check_data_folder(settings, writing=False, creating=False)  # a file, a closed folder: said as the import says it
    if refusing_used:
        check_before_opening(settings)
    if path.exists() and not (path.is_file() and path.stat().st_size == 0):
        return None
    warn_open_to_others(settings.data_dir)  # else said as the database is opened (open_service_database)
    database = scratch_database()
    try:
        migrate(database.engine)
        if not signs_of_use(settings):
            _seed(database, settings)
    except BaseException:
        database.dispose()
        raise
    return database


def _seed(database: Database, settings: Settings) -> None:
    """The seed list imported as a new data folder gets it (wiring.open_service_database), but no list.md written."""
    from digest.awesome import store as liststore
    from digest.awesome.parse import ListFormatError

    try:
        with database.transaction() as session:
            liststore.import_markdown(session, settings.seed_list.read_bytes(), source=str(settings.seed_list))
    except ListFormatError as exc:
        raise ConfigError([f"seed_list {exc}"]) from None
