"""Catching up after the bot was away: what each posted message's reactions ask for that the decision log has not
seen (digest.discord.replay decides; this shell fetches the message and makes the decisions)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

import aiohttp
import discord
from sqlalchemy.exc import SQLAlchemyError

from digest.discord import messages, replay, store
from digest.discord.members import Members, UncheckedReactionError
from digest.discord.retries import Retries
from digest.review.rules import Actor
from digest.storage.db import Database
from digest.vocab import Action

log = logging.getLogger("digest.discord")

# What a background round may meet and live through: Discord or the network failing (a member lookup among them), the
# database failing.
ROUND_ERRORS = (discord.HTTPException, aiohttp.ClientError, OSError, SQLAlchemyError, UncheckedReactionError)

READING = "reading"  # the key of catching up in the link's troubles

Decide = Callable[[int, str, Actor, str | None], Awaitable[None]]


class CatchUp:
    def __init__(
        self,
        database: Database,
        members: Members,
        channel: Callable[[], discord.PartialMessageable],
        decide: Decide,
        repost: Callable[[int], Awaitable[None]],
        note: Callable[[int, str], Awaitable[None]],
        retry_after: float,
        trouble: Callable[[str, str | None], None],
    ) -> None:
        self.database = database
        self.members = members
        self._channel = channel
        self._decide = decide
        self._repost = repost
        self._note = note  # a line on the message (why nothing was decided)
        self._trouble = trouble  # what keeps the bot from its work, said once and shown on /healthz
        # Messages whose catching up failed (Discord or the database), tried again from the background loop.
        self.retries: Retries[tuple[int, int]] = Retries(retry_after)

    async def run(self, posted: list[tuple[int, int]]) -> None:
        """Each (candidate, message) in turn; one that fails waits for `retry_due` and holds up none of the others."""
        self.retries.clear()
        for candidate_id, message_id in posted:
            await self.replay_or_retry(candidate_id, message_id)

    async def retry_due(self) -> None:
        for candidate_id, message_id in self.retries.due():
            await self.replay_or_retry(candidate_id, message_id)

    async def replay_or_retry(self, candidate_id: int, message_id: int) -> None:
        """`replay`; when Discord or the database fails, again later from `retry_due`."""
        try:
            await self.replay(candidate_id, message_id)
        except discord.Forbidden as exc:  # a permission taken away: one line for the channel, not one per message
            delay = self.retries.failed((candidate_id, message_id))
            self._trouble(READING, f"cannot read the messages of review channel {self._channel().id}: {exc}")
            log.info("discord: catching up on candidate %s refused (trying again in %g s)", candidate_id, delay)
        except ROUND_ERRORS as exc:
            delay = self.retries.failed((candidate_id, message_id))
            log.warning(
                "discord: catching up on candidate %s failed (trying again in %g s): %s", candidate_id, delay, exc
            )
        else:
            self.retries.succeeded((candidate_id, message_id))
            self._trouble(READING, None)

    async def _still_counts(self, standing: replay.LoggedDecision, candidate_id: int) -> bool:
        """Whether the maintainer whose reaction made the standing decision is a maintainer still: only then does its
        absence take the decision back (UncheckedReactionError, retried, when Discord cannot say)."""
        user_id = int(standing.key[0]) if standing.key[0].isdigit() else None
        if user_id is None:
            return True
        actor = await self.members.maintainer(None, user_id, standing.actor, candidate_id, unchecked_raises=True)
        return actor is not None

    async def replay(self, candidate_id: int, message_id: int) -> None:
        """A reaction taken back undoes its decision; a new one decides."""
        try:
            message = await self._channel().fetch_message(message_id)
        except discord.NotFound:
            await self._repost(candidate_id)
            return
        candidate = await asyncio.to_thread(store.load, self.database, candidate_id)
        if candidate is None:
            return
        seen = replay.seen_reactions(await asyncio.to_thread(store.reaction_history, self.database, candidate_id))
        # ✅ approves into the list's name for the suggested section: the name the decision log holds
        listed = await asyncio.to_thread(store.listed_section, self.database, candidate.suggested_section)
        present = await self.members.reactions_on(message, candidate_id, listed or candidate.suggested_section)
        standing = seen.standing
        kept: frozenset[replay.Key] = frozenset()
        if (
            standing is not None
            and standing.key not in present
            and not await self._still_counts(standing, candidate_id)
        ):
            kept = frozenset({standing.key})
        todo = replay.plan(candidate.status, seen, present, kept)
        if todo.undo is not None:
            log.info("discord: the reaction that decided candidate %s was taken back while away", candidate_id)
            await self._decide(candidate_id, Action.REVERT, Actor(todo.undo.actor, todo.undo.key[0], "discord"), None)
        if todo.choice is not None:
            (action, section), actor = todo.choice
            await self._decide(candidate_id, action, actor, section)
        elif todo.conflict:
            log.warning("discord: conflicting reactions on candidate %s while away; left pending", candidate_id)
            wishes = [(action, section, actor.name) for (action, section), actor in todo.conflict.items()]
            await self._note(candidate_id, messages.conflict_note(wishes))
