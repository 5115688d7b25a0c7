"""The bot's own ✅ and ❌ under each candidate's message: added as posting leaves them (or one of them put back), and
again with back-off when Discord failed; none goes into a channel Discord rate-limits (`ChannelHolds`) before the
wait is over: it waits its turn, added then."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

import discord

from digest.discord import messages, reactions, store
from digest.discord.members import REACT_PERMISSIONS
from digest.discord.rate_limits import ChannelHolds, asked_wait
from digest.discord.retries import Retries
from digest.discord.suggested import approvable
from digest.storage.db import Database

log = logging.getLogger("digest.discord")

REACTING = "reacting"  # the key of the bot's own reactions in the link's troubles


class OwnReactions:
    def __init__(
        self,
        database: Database,
        channel: Callable[[], discord.PartialMessageable],
        holds: ChannelHolds,
        retry_after: float,
        trouble: Callable[[str, str | None], None],
        missing: Callable[[], list[str]],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.database = database
        self._channel = channel
        self._holds = holds
        self._trouble = trouble  # a refusal is said once and shown on /healthz, not once per message and emoji
        self._missing = missing  # the permissions the bot's check says it lacks in the channel (named there)
        # Messages missing a reaction of the bot's that Discord failed to add (or that waits for a rate limit).
        self._unreacted: Retries[int] = Retries(retry_after, clock=clock)

    async def add(
        self, candidate_id: int, message: discord.Message | discord.PartialMessage, only: str | None = None
    ) -> None:
        """The bot's ✅ and ❌ on a candidate's message (or only `only` of them), as posting adds them."""
        candidate = await asyncio.to_thread(store.load, self.database, candidate_id)
        if candidate is not None:
            listed = await asyncio.to_thread(store.suggestion_now, self.database, candidate.suggested_section)
            await self.add_as_listed(candidate_id, message, approvable(listed), only)

    async def add_as_listed(
        self,
        candidate_id: int,
        message: discord.Message | discord.PartialMessage,
        listed: bool,
        only: str | None = None,
    ) -> None:
        """Adds them (✅ only when `listed`: it approves into one section); one Discord failed (not one it forbids)
        is tried again from `retry` with back-off, and all of them wait while the channel is rate-limited."""
        for emoji in reactions.BOT_REACTIONS if listed else (messages.REJECT_EMOJI,):
            if only is not None and messages.normalise_emoji(only) != messages.normalise_emoji(emoji):
                continue
            held = self._holds.left(message.channel.id)
            if held:  # sent now, it would be refused too: it waits, as one Discord failed
                self._unreacted.put_off(candidate_id, held)
                return
            try:
                await message.add_reaction(emoji)
            except discord.Forbidden as exc:  # put back once the permission is given (Members.sees_again)
                log.info("discord: may not add %s to candidate %s: %s", emoji, candidate_id, exc)
                if not REACT_PERMISSIONS & set(self._missing()):  # else the check on /healthz names the permission
                    self._trouble(REACTING, f"may not add its reactions in review channel {message.channel.id}: {exc}")
                continue
            except discord.HTTPException as exc:
                level = logging.INFO if self._unreacted.failing(candidate_id) else logging.WARNING  # said once
                delay = self._unreacted.failed(candidate_id, asked_wait(exc))
                if self._holds.hold(message.channel.id, exc, f"could not add {emoji} to candidate {candidate_id}"):
                    return
                log.log(level,
                        "discord: could not add %s to candidate %s (trying again in %g s): %s",
                        emoji, candidate_id, delay, exc)  # fmt: skip
                return
            self._trouble(REACTING, None)
        self._unreacted.succeeded(candidate_id)

    async def put_back(self, candidate_id: int, message: discord.Message, listed: bool) -> None:
        """The bot's ✅ and ❌ (❌ alone when ✅ cannot approve: not `listed`) that a moderator cleared, while the bot
        ran or not."""
        own = {messages.normalise_emoji(str(reaction.emoji)) for reaction in message.reactions if reaction.me}
        for emoji in reactions.BOT_REACTIONS if listed else (messages.REJECT_EMOJI,):
            if messages.normalise_emoji(emoji) not in own:
                await self.add(candidate_id, message, emoji)

    async def taken_off(self, message_id: int, emoji: str) -> None:
        """One of the bot's own a moderator took off a candidate's message: put back at once, not at the next restart
        (its ✅ only while it approves; the bot takes that one off a message offering none, and leaves it off)."""
        candidate_id = await asyncio.to_thread(store.candidate_for_message, self.database, message_id)
        if candidate_id is not None:
            await self.add(candidate_id, self._channel().get_partial_message(message_id), emoji)

    async def retry(self) -> None:
        """Adds the bot's reactions that Discord failed to add, once their back-off has passed (and the channel's rate
        limit: each waits, due, without a request)."""
        channel = self._channel()
        if self._holds.left(channel.id):
            return
        for candidate_id in self._unreacted.due():
            candidate = await asyncio.to_thread(store.load, self.database, candidate_id)
            if candidate is None or candidate.discord_state != "posted" or candidate.discord_message_id is None:
                self._unreacted.succeeded(candidate_id)  # its message is gone: nothing to add to
                continue
            await self.add(candidate_id, channel.get_partial_message(int(candidate.discord_message_id)))
