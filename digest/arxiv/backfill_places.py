"""Where each backfill window stopped (its saved place): read at the start of a window, written with each page."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.orm import Session

from digest.storage.db import Database
from digest.storage.poll_state import BackfillState


def saved_place(database: Database, query: str, opened: str | None) -> tuple[int, int | None, bool]:
    """Where an earlier backfill of this window stopped, the total it saw and whether it was done; else where a run
    in the window's own month (its query open-ended) stopped: that run's papers come first in this one too, but the
    window went on after it, so it is not done."""
    with database.reading() as session:
        state = session.get(BackfillState, query)
        if state is not None:
            return state.next_start, state.total, state.done
        earlier = session.get(BackfillState, opened) if opened else None
        return (earlier.next_start, None, False) if earlier else (0, None, False)


def mark_done(database: Database, queries: Sequence[str], now: datetime) -> None:
    with database.transaction(exclusive=True) as session:
        for query in queries:
            state = session.get(BackfillState, query) or BackfillState(query=query, next_start=0)
            state.done, state.updated_at = True, now
            session.add(state)


def save_place(database: Database, query: str, next_start: int, total: int | None, done: bool, now: datetime) -> None:
    with database.transaction(exclusive=True) as session:
        keep_place(session, query, next_start, total, done, now)


def keep_place(session: Session, query: str, next_start: int, total: int | None, done: bool, now: datetime) -> None:
    """The window's place, in the caller's transaction."""
    state = session.get(BackfillState, query) or BackfillState(query=query)
    state.next_start, state.total, state.done, state.updated_at = next_start, total, done, now
    session.add(state)
