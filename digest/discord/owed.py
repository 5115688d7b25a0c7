"""The review messages the bot owes a catching up whatever their paper's age (a reaction the database or a member lookup
kept it from acting on at once), kept in the database so that a restart acts on them. Catching up looks at the last
fortnight's papers alone, so one decided before, held in memory only, was lost with the process."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable

from sqlalchemy import delete, select
from sqlalchemy.exc import SQLAlchemyError

from digest.clock import utc_now
from digest.sizes import counted
from digest.storage.bot_state import DiscordOwedMessage
from digest.storage.db import Database
from digest.storage.failures import failure_line

log = logging.getLogger("digest.discord")


def _save(database: Database, message_ids: Iterable[int]) -> None:
    with database.transaction() as session:
        kept = set(session.scalars(select(DiscordOwedMessage.message_id)))
        for message_id in {str(number) for number in message_ids} - kept:
            session.add(DiscordOwedMessage(message_id=message_id, noted_at=utc_now()))


def _read(database: Database) -> set[int]:
    with database.reading() as session:
        return {int(number) for number in session.scalars(select(DiscordOwedMessage.message_id)) if number.isdigit()}


def _settle(database: Database, message_ids: Iterable[int]) -> None:
    numbers = [str(number) for number in message_ids]
    with database.transaction() as session:
        session.execute(delete(DiscordOwedMessage).where(DiscordOwedMessage.message_id.in_(numbers)))


class Owed:
    """What is owed, in memory until the database takes it (it may be what failed), and in the database after."""

    def __init__(self, database: Database) -> None:
        self.database = database
        self._unsaved: set[int] = set()
        self._saved: set[int] = set()

    def note(self, message_id: int) -> None:
        """Owes `message_id` a catching up, in memory until the next `save`."""
        self._unsaved.add(message_id)

    async def add(self, message_id: int) -> None:
        """Owes `message_id` a catching up; saved now if the database takes it, else by a later `save`."""
        self.note(message_id)
        await self.save()

    async def save(self) -> None:
        """Saves what is owed in memory only; a database that fails leaves it there for the next call. Never raises."""
        batch = set(self._unsaved)
        if not batch:
            return
        try:
            await asyncio.to_thread(_save, self.database, batch)
        except SQLAlchemyError as exc:
            said = failure_line(exc, str(self.database.engine.url))
            log.info("discord: noting %s to catch up on failed (tried again): %s", counted(len(batch), "message"), said)
            return
        self._unsaved -= batch
        self._saved |= batch

    async def all(self) -> set[int]:
        """Every message owed, this process's and those a process before this one noted. Raises SQLAlchemyError."""
        self._saved |= await asyncio.to_thread(_read, self.database)
        return self._saved | self._unsaved

    async def settle(self, message_ids: Iterable[int]) -> None:
        """Caught up on: owed no more. Raises SQLAlchemyError (they stay owed then)."""
        done = set(message_ids) & (self._saved | self._unsaved)
        if not done:
            return
        if done & self._saved:
            await asyncio.to_thread(_settle, self.database, done & self._saved)
        self._saved -= done
        self._unsaved -= done
