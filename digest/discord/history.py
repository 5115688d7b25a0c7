"""Reading the review channel's messages in bulk, a hundred a request, for catching up: one request each (hundreds
after a busy fortnight) was slow and ran into Discord's rate limits at every start."""

from __future__ import annotations

import logging
from collections.abc import Callable

import aiohttp
import discord

log = logging.getLogger("digest.discord")

HISTORY_PAGE = 100  # messages Discord answers a history request with at most


async def read(channel: Callable[[], discord.PartialMessageable], wanted: set[int]) -> dict[int, discord.Message]:
    """The messages of `wanted` read from the channel's history, oldest first. Reading stops at the newest wanted, or
    after twice as many messages as wanted (a channel busy with talk); one not read so (or none, the history failing
    or refused) is for the caller to fetch alone, as before: never taken for deleted."""
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
    except (discord.HTTPException, aiohttp.ClientError, OSError) as exc:
        log.info("discord: reading the review channel's history failed (each message is fetched alone): %s", exc)
    return found
