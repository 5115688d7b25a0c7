"""Reading the review channel's messages for catching up: in bulk, a hundred a request (one request each, hundreds
after a busy fortnight, was slow and ran into Discord's rate limits at every start), and none at all once Discord said
the channel is gone."""

from __future__ import annotations

import logging
from collections.abc import Callable

import aiohttp
import discord

from digest.discord.gone import UNKNOWN_CHANNEL

log = logging.getLogger("digest.discord")

HISTORY_PAGE = 100  # messages Discord answers a history request with at most


async def read(channel: Callable[[], discord.PartialMessageable], wanted: set[int]) -> dict[int, discord.Message]:
    """The messages of `wanted` read from the channel's history, oldest first. Reading stops at the newest wanted, or
    after twice as many messages as wanted (a channel busy with talk); one not read so (or none, the history failing
    or refused) is for the caller to fetch alone, as before: never taken for deleted. Raises discord.NotFound when
    the channel itself is gone (Unknown Channel): its messages went with it, and none is to be fetched alone."""
    found: dict[int, discord.Message] = {}
    if len(wanted) < 2:
        return found
    newest, left = max(wanted), set(wanted)
    try:
        async for message in channel().history(
            limit=2 * len(wanted) + HISTORY_PAGE, after=discord.Object(min(wanted) - 1), oldest_first=True
        ):
            if message.id in left:
                found[message.id] = message
                left.discard(message.id)
            if not left or message.id >= newest:
                break
    except discord.NotFound as exc:
        if exc.code == UNKNOWN_CHANNEL:
            raise
        log.info("discord: reading the review channel's history failed (each message is fetched alone): %s", exc)
    except (discord.HTTPException, aiohttp.ClientError, OSError) as exc:
        log.info("discord: reading the review channel's history failed (each message is fetched alone): %s", exc)
    return found


class Reading:
    """The messages of one catching-up round: read in bulk (`begin`), else fetched alone. Once Discord says the channel
    is gone (Unknown Channel) no other message is asked for, each being gone with it: asked, each was another refused
    request, counted toward Discord's limit on invalid requests."""

    def __init__(self, channel: Callable[[], discord.PartialMessageable]) -> None:
        self._channel = channel
        self._read: dict[int, discord.Message] = {}  # each used once
        self._gone: discord.NotFound | None = None

    async def begin(self, wanted: set[int]) -> None:
        try:
            self._read = await read(self._channel, wanted)
        except discord.NotFound as exc:  # Unknown Channel
            self._gone = exc

    def end(self) -> None:
        self._read.clear()
        self._gone = None

    async def message(self, message_id: int) -> discord.Message:
        """Raises discord.NotFound: the message deleted, or its channel with it (`code`)."""
        if self._gone is not None:
            raise self._gone.with_traceback(None)
        try:
            return self._read.pop(message_id, None) or await self._channel().fetch_message(message_id)
        except discord.NotFound as exc:
            if exc.code == UNKNOWN_CHANNEL:
                self._gone = exc
            raise
