"""`digest database copy --from FILE|URL`: moves a deployment's SQLite database into the configured one (PostgreSQL,
when the list outgrows its file), or back, with its candidates, decisions and audit log, not only the list.
"""

from __future__ import annotations

import argparse
import contextlib
import os
from typing import TYPE_CHECKING, Any

from digest.cli.context import CommandError, Context, path_argument, print_json
from digest.cli.options import json_option

URL_MARK = "://"  # a database URL, not a file name

if TYPE_CHECKING:  # pathlib is imported by the command, not by `digest --help`
    from collections.abc import Iterator
    from pathlib import Path


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "database",
        help="copy a SQLite file (or another database) into the configured database",
        description="Moves a deployment between databases: `digest database copy --from FILE|URL` copies everything "
        "into the configured, empty one (SQLite to PostgreSQL, or back).",
    )
    actions = parser.add_subparsers(dest="database_action", metavar="ACTION", required=True)
    copy = actions.add_parser(
        "copy",
        help="copy everything from an old SQLite file into the configured (empty) database",
        description=(
            "Copies every table (the list, candidates, decisions and the audit log, the model's decisions, the "
            "weekly digests sent) from FILE (or the database URL names) into the configured database "
            "(DIGEST_DATABASE_URL, else database_url in the settings file, else the data folder's digest.sqlite3), in "
            "one transaction. The target must be empty: run this before the service's first start on it. Stop "
            "the service first."
        ),
    )
    copy.add_argument(
        "--from",
        dest="source",
        type=source_argument,
        required=True,
        metavar="FILE|URL",
        help="the SQLite file, or the database URL (postgresql+psycopg://...) of a deployment moving back to a file",
    )
    json_option(copy, help="print the rows copied per table as JSON")
    copy.set_defaults(handler=handle_copy)


def source_argument(text: str) -> Path | str:
    """--from: a database URL as written (a Path would fold its '//'), else the file's path."""
    return text.strip() if URL_MARK in text else path_argument(text)


def handle_copy(args: argparse.Namespace, context: Context) -> int:
    with _left_as_found(context.settings.data_dir.resolve()):
        if isinstance(args.source, str):
            return _copy_from_url(args, context)
        return _copy_from_file(args, context)


@contextlib.contextmanager
def _left_as_found(folder: Path) -> Iterator[None]:
    """A data folder the copy creates (for its lock, its database) is removed when the copy is refused: a refused
    command changes nothing on disk, and a folder holding only a lock file would read as one in use."""
    import shutil

    created = None
    while not os.path.lexists(folder) and folder != folder.parent:
        created, folder = folder, folder.parent
    try:
        yield
    except Exception:
        if created is not None:
            shutil.rmtree(created, ignore_errors=True)
        raise


def _copy_from_file(args: argparse.Namespace, context: Context) -> int:
    from digest.storage.backups import read_backup
    from digest.storage.copy import CopyError
    from digest.storage.datalock import DataLockError, lock_data_folder
    from digest.storage.db import DatabaseError
    from digest.storage.moved import record_move

    source_file = _checked_source(args, context)
    target_url = context.settings.database_url
    # No service may write to either side meanwhile: the new data folder's (and database's), and the old one's when
    # a service has run there (a backup's folder, maybe read-only, has no lock file: none is made in it).
    folders = [context.settings.data_dir.resolve()]
    if source_file.parent != folders[0] and _served(source_file.parent):
        folders.insert(0, source_file.parent)
    locks = []
    try:
        locks += [lock_data_folder(folder) for folder in folders]
    except DataLockError as exc:
        for lock in locks:
            lock.release()
        raise CommandError(str(exc)) from None
    try:  # read from a copy in the new data folder: the backup keeps its bytes, mode and time (and older schema)
        with read_backup(source_file, context.settings.data_dir.resolve(), str(args.source)) as copy:
            copied = _copy_backup(copy, str(args.source), target_url, locks[-1])
        # A command on this data folder, or on the old one, left with the old database is refused (not on a
        # backup's folder, though: one without a list.md).
        old_folder = [source_file.parent] if (source_file.parent / "list.md").exists() else []
        record_move([*old_folder, context.settings.data_dir], target_url)
    except (CopyError, DataLockError, DatabaseError) as exc:
        raise CommandError(str(exc)) from None
    finally:
        for held in locks:
            held.release()
    return _report(args, copied)


def _served(folder: Path) -> bool:
    """Whether a service may run in `folder`: it holds a service's lock file and can be written."""
    from digest.storage.datalock import LOCK_NAME

    return (folder / LOCK_NAME).is_file() and os.access(folder, os.W_OK)


def _copy_backup(copy: Path, shown: str, target_url: str, lock: Any) -> list[Any]:
    """The temporary copy of the backup (`shown` as --from named it) checked, then copied into the target."""
    from digest.storage.copy import unreadable
    from digest.storage.db import DatabaseError, has_schema, open_database

    try:
        source = open_database(f"sqlite:///{copy}", migrate_schema=False, named_by="--from")
    except DatabaseError as exc:  # its words name the temporary copy: said of the backup as --from named it
        raise CommandError(str(exc).replace(str(copy), shown)) from None
    try:
        damage = unreadable(source)
        if damage is not None:  # a backup cut short is no other program's file: say what SQLite found
            raise CommandError(f"{shown} cannot be read as a database ({damage}); nothing was copied")
        if not has_schema(source.engine):  # another program's file: not a single table is written into it
            raise CommandError(f"{shown} is not a digest database (it has no schema revision)")
        try:
            _upgrade_copy(source.engine)
        except DatabaseError as exc:  # "the database is at schema revision ...": the backup's, not the target's
            raise CommandError(f"{shown} (--from): {exc}") from None
        return _copy_into(source, shown, target_url, lock)
    finally:
        source.dispose()


def _upgrade_copy(engine: Any) -> None:
    """The backup's copy brought to this release's schema: a newer release's refused, an older one's upgraded without
    the warning to keep the backup from before the upgrade (the backup itself was not upgraded)."""
    from digest.storage.db import migrate, upgrade_schema
    from digest.storage.revisions import OlderSchemaError

    try:
        migrate(engine, upgrading=False)
    except OlderSchemaError:
        upgrade_schema(engine)


def _copy_into(source: Any, shown: str, target_url: str, lock: Any) -> list[Any]:
    """The source (`shown` as --from named it) upgraded to this release's schema first (as any command would), then
    copied into the target, which `lock` holds while it is written."""
    from digest.storage.copy import copy_database
    from digest.storage.datalock import lock_database
    from digest.storage.db import DatabaseError, migrate, open_database

    try:
        migrate(source.engine)
    except DatabaseError as exc:  # "the database is at schema revision ...": the one given to --from, not the target
        raise CommandError(f"{shown} (--from): {exc}") from None
    target = open_database(target_url)
    try:
        lock_database(lock, target)
        return copy_database(source, target)
    finally:
        target.dispose()


def _report(args: argparse.Namespace, copied: list[Any]) -> int:
    import logging

    for done in copied:
        for where in done.blanked:  # a warning of the command's log: with its time and level, or as JSON
            logging.getLogger(__name__).warning(
                "%s %s held a NUL character (0x00), which the target cannot store: copied as a space", done.table, where
            )
    if args.json:
        print_json({"copied": {done.table: done.rows for done in copied}})
    else:
        from digest.sizes import counted

        width = max((len(done.table) for done in copied), default=0)  # the counts in one column, whatever the names
        for done in copied:
            print(f"{done.table:<{width}}  {done.rows:>8,} {'row' if done.rows == 1 else 'rows'}")
        total = sum(done.rows for done in copied)
        rows = f"{total:,} {'row' if total == 1 else 'rows'}"
        print(f"copied {rows} in {counted(len(copied), 'table')}; start the service on it")
    return 0


def _copy_from_url(args: argparse.Namespace, context: Context) -> int:
    """From a database named by its URL (PostgreSQL, back to a file): its service must be stopped too, which its
    advisory lock tells, as it tells a second service."""
    from pathlib import Path

    from digest.storage.copy import CopyError, same_database
    from digest.storage.datalock import DataLock, DataLockError, lock_data_folder, lock_database
    from digest.storage.db import DatabaseError, has_schema, open_database
    from digest.storage.failures import shown_database_url
    from digest.storage.moved import record_move

    shown = shown_database_url(args.source)
    if same_database(args.source, context.settings.database_url):
        raise CommandError(f"{shown} is the configured database itself: set DIGEST_DATABASE_URL to the new one")
    try:
        lock = lock_data_folder(context.settings.data_dir.resolve())
    except DataLockError as exc:
        raise CommandError(str(exc)) from None
    source_lock = DataLock(Path(), -1)
    try:
        source = open_database(args.source, migrate_schema=False, named_by="--from")
        try:
            lock_database(source_lock, source)
            if not has_schema(source.engine):
                raise CommandError(f"{shown} is not a digest database (it has no schema revision)")
            copied = _copy_into(source, shown, context.settings.database_url, lock)
        finally:
            source.dispose()
        record_move([context.settings.data_dir], context.settings.database_url)
    except (CopyError, DataLockError, DatabaseError) as exc:
        raise CommandError(str(exc)) from None
    finally:
        source_lock.release()
        lock.release()
    return _report(args, copied)


def _checked_source(args: argparse.Namespace, context: Context) -> Path:
    """The --from file, resolved, once it is known to be a SQLite file of this service's, not the configured one;
    refused before anything opens or locks it (it would be made owner-only, and a lock file put in its folder)."""
    from digest.storage.copy import same_database
    from digest.storage.db import DatabaseError, refuse_foreign_sqlite
    from digest.storage.failures import not_sqlite

    source_file: Path = args.source.resolve()
    if not source_file.is_file():
        raise CommandError(f"{args.source}: no such file (give the old data folder's digest.sqlite3)")
    source_url = f"sqlite:///{source_file}"
    if same_database(source_url, context.settings.database_url):
        raise CommandError(f"{args.source} is the configured database itself: set DIGEST_DATABASE_URL to the new one")
    if not_sqlite(source_file):
        raise CommandError(
            f"{args.source} is not a SQLite database file; nothing was copied (give the old data folder's "
            "digest.sqlite3)"
        )
    if _changes_in_log(source_file):  # reading them here would make a -shm beside it: its copy is checked instead
        return source_file
    try:
        refuse_foreign_sqlite(source_url, "--from")
    except DatabaseError as exc:
        raise CommandError(str(exc)) from None
    return source_file


def _changes_in_log(source_file: Path) -> bool:
    wal = source_file.with_name(f"{source_file.name}-wal")
    return wal.is_file() and wal.stat().st_size > 0
