"""Where a data folder's database went: `digest database copy` leaves a note (`database.moved`) in the data folders
it moved a deployment from and to, naming the database copied into (its password hidden). A command or a service
on such a folder with another database configured (DIGEST_DATABASE_URL left out of one shell or of a cron job after
the move to PostgreSQL) is refused in one line: it would read and decide on the old copy, and write that copy's
list over the folder's list.md."""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from pathlib import Path

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from digest.config.invocation import ASTERISKS_NOTE
from digest.config.settings import default_database_url
from digest.storage.failures import shown_database_url
from digest.storage.files import write_atomic
from digest.text import one_line

MARK = "database.moved"


def record_move(folders: Iterable[Path], target_url: str) -> None:
    """Notes in each folder that its deployment's database is now `target_url`, once the copy is committed."""
    for folder in dict.fromkeys(folder.resolve() for folder in folders):
        write_atomic(folder / MARK, shown_database_url(target_url) + "\n")


def _same_database(recorded: str, configured: str) -> bool:
    """Whether the two URLs name one database, however written (the driver, a password, a relative SQLite path)."""
    with contextlib.suppress(ArgumentError, ValueError):
        first, second = make_url(recorded), make_url(configured)
        if first.get_backend_name() != second.get_backend_name():
            return False
        if first.get_backend_name() == "sqlite":
            return Path(first.database or "").resolve() == Path(second.database or "").resolve()
        return (first.username, first.host, first.port, first.database) == (
            second.username,
            second.host,
            second.port,
            second.database,
        )
    return recorded == shown_database_url(configured)


def _to_set(recorded: str) -> str:
    """The noted URL as a line says to set it: a password noted as `***` (record_move hides it) said to stand for the
    password, lest it be pasted as it is."""
    return f"{recorded} {ASTERISKS_NOTE}" if "***" in recorded else recorded


def moved_away(data_dir: Path, database_url: str) -> str | None:
    """One line when `data_dir` notes that its database moved elsewhere than `database_url`, else None."""
    mark = data_dir / MARK
    try:
        recorded = one_line(mark.read_text(encoding="utf-8").strip())
    except (FileNotFoundError, NotADirectoryError, PermissionError):  # a closed folder is said of the folder
        return None
    except (OSError, UnicodeDecodeError) as exc:
        return f"{mark} cannot be read ({exc}): it names the database this data folder moved to"
    if not recorded or _same_database(recorded, database_url):
        return None
    given = f"the data folder {data_dir} moved to the database {recorded} (digest database copy), but this command was "
    if _same_database(default_database_url(data_dir), database_url):  # DIGEST_DATABASE_URL left out: the file before
        return (
            f"{given}given {shown_database_url(database_url)}, the old copy, no longer kept up to date: set "
            f"DIGEST_DATABASE_URL (or database_url) to {_to_set(recorded)} (to use the old copy again instead, delete "
            f"{mark})"
        )
    # Another database may be the old one or a backup restored (pg_restore into a new database): not said which.
    return (
        f"{given}given another, {shown_database_url(database_url)}: set DIGEST_DATABASE_URL (or database_url) to "
        f"{_to_set(recorded)}, or, if it is the one to use now (a backup restored into it), delete {mark}"
    )


def refuse_moved(data_dir: Path, database_url: str) -> None:
    """Raises ConfigError (a settings problem, exit 2) when `data_dir`'s database moved elsewhere."""
    from digest.config import ConfigError

    moved = moved_away(data_dir, database_url)
    if moved:
        raise ConfigError([moved])
