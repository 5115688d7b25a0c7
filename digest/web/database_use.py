"""Whether the request being answered got a connection from the database: only such a request, answered, says the
database's outage is over (context.said_reachable); a script, a redirect or a missing page asked it nothing."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, event


@dataclass
class DatabaseUse:
    connected: bool = False  # a connection was checked out of the pool (opened, or pinged on PostgreSQL)


# The request's own record; the worker threads its handlers read in (asyncio.to_thread) see it too, and the scheduler's
# and the bot's use of the same engine, outside any request, see none.
_CURRENT: ContextVar[DatabaseUse | None] = ContextVar("digest_web_database_use", default=None)


def watch(engine: Engine) -> None:
    """Marks each connection the engine hands out to a request (once an engine, whatever the number of sites)."""
    if not event.contains(engine, "checkout", _checked_out):
        event.listen(engine, "checkout", _checked_out)


def _checked_out(*_connection: Any) -> None:
    use = _CURRENT.get()
    if use is not None:
        use.connected = True


@contextmanager
def recorded() -> Iterator[DatabaseUse]:
    """The record of one request's use of the database, while its handler runs."""
    use = DatabaseUse()
    token = _CURRENT.set(use)
    try:
        yield use
    finally:
        _CURRENT.reset(token)
