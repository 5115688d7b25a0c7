"""How long the bot waits out Discord's 429s: a bounded time, past which the request fails as any refused one does.

discord.py waits out every retry_after by default; Discord may ask minutes, and the bot then held a reaction's
message edit (or a post) that long, saying nothing. Past the bound discord.py raises RateLimited, which is no
HTTPException and escaped every handler; it is turned into one (status 429), so the bot's retries take it up, no
sooner than Discord asked (`asked_wait`): each request inside the wait is answered 429 again and counts toward a ban.
discord.py forgets a 429 it raises, so the channel it came from is held (`ChannelHolds`) until the wait is over; its
reads too (catching up on its messages, looking through its history), which Discord's limit on the channel covers.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import timedelta
from http import HTTPStatus
from typing import Any

import discord
from discord.http import HTTPClient, Route

from digest.clock import utc_now

log = logging.getLogger("digest.discord")

# The shortest bound discord.py allows is 30 s; a minute lets the usual short limits be waited out, as before.
LONGEST_WAIT = 60.0


class LongRateLimit(discord.HTTPException):
    """A 429 asking a longer wait than LONGEST_WAIT: failed at once, in one line naming the wait."""

    def __init__(self, route: Route, retry_after: float) -> None:  # no response to read: discord.py gave none
        text = (
            f"Discord rate-limits {route.method} {route.path} for {retry_after:.0f} s, longer than the "
            f"{LONGEST_WAIT:g} s the bot waits: tried again later"
        )
        Exception.__init__(self, text)
        self.response = None
        self.status = 429
        self.code = 0
        self.text = text
        self.retry_after = retry_after


def asked_wait(exc: BaseException) -> float:
    """The seconds Discord asked the bot to wait before trying again what failed with `exc`: 0 when it asked none."""
    return exc.retry_after if isinstance(exc, LongRateLimit) else 0.0


def bound_waits(http: HTTPClient) -> None:
    """Makes `http`'s RateLimited (a wait past the client's max_ratelimit_timeout) a LongRateLimit."""
    request = http.request

    async def bounded(route: Route, **options: Any) -> Any:
        try:
            return await request(route, **options)
        except discord.RateLimited as exc:
            raise LongRateLimit(route, exc.retry_after) from None

    setattr(http, "request", bounded)  # noqa: B010 (a method replaced on this one client's instance)


class ChannelHolds:
    """Channels where Discord rate-limited a request of the bot's (a post, an edit, a reaction) for longer than it
    waits: no post, edit or reaction goes there, nor a read of its messages, until the wait is over, each being answered
    429 again (and counted toward a ban) meanwhile; what is held waits with its own retries, so nothing is lost."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._until: dict[int, float] = {}

    def left(self, channel: int) -> float:
        """The seconds before the bot may send to (or read) `channel` again: 0 when it may now."""
        left = self._until.get(channel, 0.0) - self._clock()
        if left <= 0:
            self._until.pop(channel, None)
            return 0.0
        return left

    def hold(self, channel: int, exc: discord.HTTPException, failed: str, at_least: float = 0.0) -> bool:
        """Whether `exc` is a 429: then nothing is sent to `channel` for the wait Discord asked (`at_least`, the bot's
        own back-off, if longer), and one line says what `failed` and when the bot sends there again."""
        delay = max(asked_wait(exc), at_least)
        if exc.status != HTTPStatus.TOO_MANY_REQUESTS or delay <= 0:
            return False
        self._until[channel] = max(self._until.get(channel, 0.0), self._clock() + delay)
        at = (utc_now() + timedelta(seconds=delay)).strftime("%H:%M:%S UTC")
        log.warning("discord: %s: %s; nothing is sent to channel %s before %s (in %g s)", failed, exc, channel, at,
                    delay)  # fmt: skip
        return True
