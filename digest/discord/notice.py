"""The review channel's notice of how many candidates wait on the review page: one at a time, said anew after a run
that posted (or found it deleted), and taken down once untrue (a later run's count, or none waiting), those of a run
before a restart too."""

from __future__ import annotations

import logging
from collections.abc import Callable

import discord

from digest.config import Settings
from digest.discord.connection import NO_MENTIONS
from digest.discord.rate_limits import ChannelHolds
from digest.discord.waiting import is_waiting_notice, waiting_notice

log = logging.getLogger("digest.discord")

# How many of the channel's newest messages are looked through for what the bot sent before it last started (a
# message a killed process sent but did not record, the waiting notices).
HISTORY_LOOKED_AT = 200


class WaitingNotice:
    def __init__(
        self,
        settings: Settings,
        channel: Callable[[], discord.PartialMessageable],
        own_id: Callable[[], int | None],
        holds: ChannelHolds,
    ) -> None:
        self._base_url = settings.web.base_url
        self._channel = channel
        self._own_id = own_id
        self._holds = holds
        # The bot's notices standing in the channel; None: not looked for since the bot started (a run before a restart
        # may have left one).
        self._standing: list[int] | None = None

    @property
    def may_stand(self) -> bool:
        """Whether a notice may stand in the channel (said since the start, or not looked for yet)."""
        return self._standing is None or bool(self._standing)

    async def say(self, waiting: int) -> bool:
        """Says in the channel how many candidates wait on the review page, the earlier notice taken down; False when
        the channel is held (Discord's rate limit): it is owed then."""
        channel = self._channel()
        try:
            message = await channel.send(waiting_notice(waiting, self._base_url), allowed_mentions=NO_MENTIONS)
        except discord.HTTPException as exc:
            if self._holds.hold(channel.id, exc, "could not post the waiting notice"):
                return False
            log.warning("discord: could not post the waiting notice: %s", exc)
            return True
        await self.take_down(keeping=message.id)
        return True

    async def missing(self) -> bool:
        """Whether none of the bot's notices stands in the channel now (a moderator deleted it), as the channel's
        history shows; False when the channel could not be read. Without Read Message History: none said since the
        start stands."""
        found = await self._look_up(unreadable=tuple(self._standing or ()))
        if found is None:
            return False
        self._standing = found
        return not found

    async def take_down(self, *, keeping: int | None = None) -> None:
        """The bot's notices out of the channel but the one `keeping` (a bot deletes its own messages without a
        permission); one Discord fails to delete stays listed, tried again by the next run."""
        channel = self._channel()
        if self._holds.left(channel.id):  # a read or a deletion now would be refused too: the next run does it
            return
        if self._standing is None:
            self._standing = await self._look_up()
            if self._standing is None:  # the channel could not be read: looked for again by the next run
                return
        earlier = [message_id for message_id in self._standing if message_id != keeping]
        self._standing = [*earlier, *([] if keeping is None else [keeping])]
        for message_id in earlier:
            if self._holds.left(channel.id):
                return
            try:
                await channel.get_partial_message(message_id).delete()
            except discord.NotFound:
                pass  # deleted already (by a moderator)
            except discord.HTTPException as exc:
                if not self._holds.hold(channel.id, exc, "could not take down the waiting notice"):
                    log.warning("discord: could not take down the waiting notice, which is out of date: %s", exc)
                return
            self._standing.remove(message_id)

    async def _look_up(self, unreadable: tuple[int, ...] = ()) -> list[int] | None:
        """The bot's notices among the channel's newest messages, oldest first; None when the channel could not be read
        (looked for again next time); `unreadable` when the bot may not read it."""
        own = self._own_id()
        found: list[int] = []
        try:
            async for message in self._channel().history(limit=HISTORY_LOOKED_AT):
                if message.author.id == own and is_waiting_notice(message.content):
                    found.insert(0, message.id)
        except discord.Forbidden:  # without Read Message History it finds none: only those said since the start
            return list(unreadable)
        except discord.HTTPException as exc:
            log.warning("discord: could not look for the earlier waiting notice in the channel: %s", exc)
            return None
        return found
