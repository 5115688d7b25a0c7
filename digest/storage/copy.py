"""Copying a whole database into another (SQLite to PostgreSQL, when a deployment outgrows its file): every table of
the schema, row for row, in one transaction of the target. The list, the candidates, the audit log and every decision
the model learns from move together; nothing is half-copied.

Both databases are at the schema's newest revision first (a SQLite source in a temporary copy, storage/backups.py,
which leaves the file as it was; a database named by URL upgraded as any command would). The target must hold
nothing yet: a copy never merges into data, which would overwrite or duplicate what a maintainer decided.
APScheduler's job table is left out: the service makes its jobs again from the settings when it starts.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import Connection, Integer, Table, func, insert, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from digest.sizes import counted
from digest.storage import state  # noqa: F401  (imported for its tables: the service's state is in the schema)
from digest.storage.db import Database
from digest.storage.models import Base

_BATCH = 1000


class CopyError(Exception):
    """The copy cannot be made, or failed and left the target as it was; one line."""


@dataclass(frozen=True)
class Copied:
    table: str
    rows: int
    blanked: tuple[str, ...] = ()  # "id 3: abstract": a NUL character PostgreSQL cannot store, copied as a space


def same_database(source_url: str, target_url: str) -> bool:
    return make_url(source_url).render_as_string(hide_password=False) == make_url(target_url).render_as_string(
        hide_password=False
    )


def unreadable(source: Database) -> str | None:
    """Why SQLite cannot read the file at all (a backup cut short is "database disk image is malformed", another
    kind of file "file is not a database"), or None when it can."""
    try:
        with source.engine.connect() as connection:
            connection.execute(text("SELECT count(*) FROM sqlite_master"))
    except DBAPIError as exc:
        return _first_line(exc)
    return None


def _tables() -> list[Table]:
    """The schema's tables, each after the tables it refers to."""
    return list(Base.metadata.sorted_tables)


def _rows(connection: Connection, table: Table) -> Iterator[list[dict[str, object]]]:
    primary = list(table.primary_key.columns)
    result = connection.execution_options(yield_per=_BATCH).execute(select(table).order_by(*primary))
    for batch in result.mappings().partitions(_BATCH):
        yield [dict(row) for row in batch]


def _holding(connection: Connection) -> list[str]:
    """The target's tables that hold rows: "sections (11)"."""
    counts = ((table.name, connection.scalar(select(func.count()).select_from(table)) or 0) for table in _tables())
    return [f"{name} ({count})" for name, count in counts if count]


def _advance_sequences(connection: Connection) -> None:
    """PostgreSQL hands out ids from a sequence, which rows inserted with their ids do not move: each is set past the
    largest id copied, so the next candidate or decision does not collide with a copied one."""
    for table in _tables():
        for column in table.primary_key.columns:
            if not isinstance(column.type, Integer):
                continue
            sequence = connection.scalar(
                text("SELECT pg_get_serial_sequence(:table, :column)"), {"table": table.name, "column": column.name}
            )
            if sequence is None:
                continue
            largest = connection.scalar(select(func.max(column)))
            connection.execute(
                text("SELECT setval(:sequence, :value, :called)"),
                {"sequence": sequence, "value": largest or 1, "called": largest is not None},
            )


def _aside(target: Database) -> str:
    """For a SQLite file that holds data (the data folder's own, from before a move to PostgreSQL, when the way back
    leaves DIGEST_DATABASE_URL unset): how to copy there all the same."""
    url = target.engine.url
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return ""
    return f" (move {url.database} aside first, or set DIGEST_DATABASE_URL to a new file)"


def copy_database(source: Database, target: Database) -> list[Copied]:
    """Every table of `source` into the empty `target`, in one transaction of the target; CopyError (one line) when
    the target holds data or a row does not fit it, and then nothing was written."""
    copied: list[Copied] = []
    try:
        with source.engine.connect() as reading, target.engine.begin() as writing:
            held = _holding(writing)
            if held:
                raise CopyError(
                    "the target database already holds data ("
                    + ", ".join(held[:4])
                    + (", ..." if len(held) > 4 else "")
                    + "): copy into a new, empty database"
                    + _aside(target)
                )
            for table in _tables():
                count, blanked = 0, []
                for batch in _rows(reading, table):
                    if writing.dialect.name == "postgresql":
                        blanked += _blank_nul(table, batch)
                    try:
                        writing.execute(insert(table), batch)
                    except SQLAlchemyError as exc:  # names the table and the rows, so the operator knows what to fix
                        raise CopyError(
                            f"the copy failed at {table.name} (rows {count + 1}-{count + len(batch)}) and the target "
                            f"was left as it was: {_first_line(exc)}"
                        ) from exc
                    count += len(batch)
                copied.append(Copied(table.name, count, tuple(blanked)))
            if writing.dialect.name == "postgresql":
                _advance_sequences(writing)
            for done in copied:  # what arrived is what was read, table by table
                arrived = writing.scalar(select(func.count()).select_from(Base.metadata.tables[done.table])) or 0
                if arrived != done.rows:
                    raise CopyError(
                        f"{done.table}: {counted(done.rows, 'row')} read but {arrived} written; nothing was copied"
                    )
    except SQLAlchemyError as exc:
        raise CopyError(f"the copy failed and the target was left as it was: {_first_line(exc)}") from exc
    return copied


def _blank_nul(table: Table, batch: list[dict[str, object]]) -> list[str]:
    """Each NUL character in the batch's text made a space, as the service blanks one in what it stores: SQLite kept
    them (from releases that did not), PostgreSQL refuses them, and the whole copy failed on one. Says where."""
    blanked: list[str] = []
    for row in batch:
        for column, value in row.items():
            if isinstance(value, str) and "\x00" in value:
                row[column] = value.replace("\x00", " ")
                key = ", ".join(f"{c.name} {row[c.name]}" for c in table.primary_key.columns)
                blanked.append(f"{key}: {column}")
    return blanked


def _first_line(exc: SQLAlchemyError) -> str:
    """The database's own words, without SQLAlchemy's statement and parameters (they would echo the rows)."""
    return str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
