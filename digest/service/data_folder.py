"""The data folder a command is to use: refused in one line when it cannot be (a file, closed, not writable), or when it
was used but its database is missing, empty or without a list (re-seeding would replace the maintainers' list).
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlsplit

from sqlalchemy.engine import make_url

from digest.config import ConfigError, Settings, default_database_url
from digest.config.invocation import password_note, same_invocation
from digest.storage.db import DatabaseError
from digest.storage.failures import unreadable_file
from digest.storage.folders import (
    LET_IN,
    REFUSALS,
    entry_refused,
    unwritable_data_folder,
    write_refusal,
    write_refused,
)
from digest.storage.moved import refuse_moved
from digest.storage.private import close_to_others
from digest.text import one_line


class UnusableDataError(DatabaseError):
    """A used data folder whose database is missing, empty or without a list; one line with what to do."""


def signs_of_use(settings: Settings) -> list[Path]:
    """What shows this data folder was used before: its list's Markdown, weekly digests."""
    found = [settings.list_markdown_path] if settings.list_markdown_path.exists() else []
    weekly = settings.weekly_dir
    if weekly.is_dir() and any(weekly.iterdir()):
        found.append(weekly)
    return found


def sqlite_file(settings: Settings) -> Path | None:
    url = make_url(settings.database_url)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    if url.database.startswith("file:"):  # a URI filename (`?uri=true`, e.g. mode=ro): the path part
        path = urlsplit(url.database).path
        return Path(path) if path and path != ":memory:" else None
    return Path(url.database)


def _earlier_database(settings: Settings) -> Path | None:
    """The data folder's own SQLite file when another database is configured and the file holds something: what
    DIGEST_DATABASE_URL set before `digest database copy` left behind."""
    own = Path(make_url(default_database_url(settings.data_dir)).database or "")
    configured = sqlite_file(settings)
    if configured is not None and configured.resolve() == own:
        return None
    return own if own.is_file() and own.stat().st_size > 0 else None


def refusal(settings: Settings, used: list[Path], problem: str) -> UnusableDataError:
    shown = ", ".join(str(path) for path in used)
    earlier = _earlier_database(settings)
    if earlier is not None:  # a move to another database begun without its copy: the list import would lose decisions
        return UnusableDataError(
            f"{problem}, but the data folder was in use ({shown}) and holds its earlier database; nothing was "
            f"written. To move everything it holds into this one: "
            f"{same_invocation(settings, 'database', 'copy', '--from', earlier)}{password_note(settings)}"
        )
    return UnusableDataError(
        f"{problem}, but the data folder was in use ({shown}); nothing was written. Restore the database from a "
        f"backup, or rebuild the list from its Markdown: "
        f"{same_invocation(settings, 'list', 'import', settings.list_markdown_path)}{password_note(settings)}"
    )


def check_data_folder(settings: Settings, *, writing: bool = True, creating: bool = True) -> None:
    """Refuses a data folder that is a file, or lies inside one, or that this user cannot enter, or (`writing`: for
    all but the commands that only read) cannot write, in one line naming it (creating it would only say "File exists"
    or "Not a directory"; using it, "list.md: Permission denied"); creates a new one (unless not `creating`). A file,
    a folder this user cannot enter or write, or one that could not be created, is a settings problem (ConfigError,
    exit 2): --data-dir or DIGEST_DATA_DIR names the wrong place, or its modes are wrong. A folder every user may write
    is closed to their writes (`writing`); a command that only reads changes nothing (open_service_database warns)."""
    probe = settings.data_dir.resolve()
    while not os.path.lexists(probe) and probe != probe.parent:  # lexists: False, not an error, under a closed folder
        probe = probe.parent
    if not probe.is_dir():
        raise ConfigError(
            [
                f"the data folder {settings.data_dir} cannot be used: {probe} is a file, not a folder; give --data-dir "
                "(or DIGEST_DATA_DIR) a folder"
            ]
        )
    refused = entry_refused(probe)
    if refused:  # said as a folder that cannot be created is: a settings problem, exit 2
        closed = "it" if probe == settings.data_dir.resolve() else str(probe)
        why = f"this user cannot enter {closed}: {refused}; {LET_IN}"
        raise ConfigError([f"the data folder {settings.data_dir} cannot be used: {why}"])
    if probe == settings.data_dir.resolve():
        refuse_moved(probe, settings.database_url)  # `digest database copy` moved it: not the old copy
        # A database file it cannot read is said first, by the database's own line: reading it is what fails first.
        unwritable = write_refused(probe) if writing and not unreadable_file(settings.database_url) else None
        if unwritable is not None:
            raise ConfigError([unwritable_data_folder(settings.data_dir, unwritable)])
        if writing:  # a command that only reads changes nothing: open_service_database warns instead
            close_to_others(probe)
        return
    if not creating:
        return
    try:  # here, where the failure can name the folder: a file opened in it said only "No such file or directory"
        settings.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)  # a new one: the readers' data is its owner's
    except OSError as exc:  # under /proc, a read-only mount, a folder of another user
        # A read-only mount or a folder's mode: said as for a data folder that is there (what to fix), of the folder
        # it was to be made in.
        why = write_refusal(probe, exc, str(probe)) if exc.errno in REFUSALS else one_line(exc.strerror or str(exc))
        raise ConfigError(
            [
                f"the data folder {settings.data_dir} could not be created: {why}; give --data-dir (or "
                "DIGEST_DATA_DIR) a folder this user can create"
            ]
        ) from None


def check_before_opening(settings: Settings) -> None:
    """Refuses a used data folder whose SQLite file is missing or empty, before opening creates anything."""
    used = signs_of_use(settings)
    path = sqlite_file(settings)
    if not used or path is None:
        return
    if not path.exists():
        raise refusal(settings, used, f"the database {path} is missing")
    if path.is_file() and path.stat().st_size == 0:
        raise refusal(settings, used, f"the database {path} is empty (0 bytes)")
