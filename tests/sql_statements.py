"""The SQL statements a database is sent while a block runs: for the tests that bound how many queries a page
costs."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event

from digest.storage.db import Database


@contextmanager
def statements_sent(database: Database) -> Iterator[list[str]]:
    """The statements `database` is sent inside the block, in order (the list fills as they are sent)."""
    statements: list[str] = []

    def sent(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    event.listen(database.engine, "before_cursor_execute", sent)
    try:
        yield statements
    finally:
        event.remove(database.engine, "before_cursor_execute", sent)
