"""The review bot's link to Discord: logs in and connects, tries again with back-off while Discord is unreachable,
and says what is true, in the log and to /healthz (digest.health), whenever that changes.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Protocol

import aiohttp
import discord
import yarl

from digest import health, outage
from digest.clock import utc_now
from digest.config import Settings
from digest.discord.rate_limits import LONGEST_WAIT, bound_waits

log = logging.getLogger("digest.discord")

NO_MENTIONS = discord.AllowedMentions.none()
# discord.py reports a gateway it could not reach on the first try with an AttributeError from inside
# Client.connect (it reads the sequence of a websocket that was never opened); it means "unreachable" too.
UNREACHABLE = (discord.HTTPException, discord.GatewayNotFound, aiohttp.ClientError, OSError, TimeoutError)
CONNECT_FAILED = (*UNREACHABLE, AttributeError)


class Events(Protocol):
    """What the bot does with what the connection hears."""

    def attach_commands(self, client: discord.Client) -> None: ...

    async def catch_up(self) -> None: ...

    async def on_reaction(self, payload: discord.RawReactionActionEvent, *, added: bool) -> None: ...

    async def on_message_edited(self, message: discord.Message) -> None: ...

    async def on_messages_deleted(self, message_ids: list[int]) -> None: ...

    async def on_reactions_cleared(self, channel_id: int, message_id: int, emoji: str | None) -> None: ...

    def check_config(self) -> None: ...

    async def on_channel_deleted(self, channel_id: int) -> None: ...

    def server_back(self, guild_id: int) -> None: ...


@dataclass(frozen=True)
class Backoff:
    """Seconds to wait before each new attempt: doubling from `first` up to `longest`."""

    first: float = 2.0
    longest: float = 300.0

    def delays(self) -> Iterator[float]:
        delay = self.first
        while True:
            yield delay
            delay = min(delay * 2, self.longest)


class _Client(discord.Client):
    """discord.py calls `on_<event>` methods; each one hands the event on."""

    def __init__(self, link: DiscordLink, **options: Any) -> None:
        super().__init__(**options)
        self.link = link

    async def on_ready(self) -> None:
        await self.link.on_ready()

    async def on_resumed(self) -> None:
        self.link.report_connected()

    async def on_disconnect(self) -> None:
        self.link.on_disconnect()

    async def on_raw_reaction_add(self, payload: discord.RawReactionActionEvent) -> None:
        await self.link.events.on_reaction(payload, added=True)

    async def on_raw_reaction_remove(self, payload: discord.RawReactionActionEvent) -> None:
        await self.link.events.on_reaction(payload, added=False)

    async def on_raw_reaction_clear(self, payload: discord.RawReactionClearEvent) -> None:
        await self.link.events.on_reactions_cleared(payload.channel_id, payload.message_id, None)

    async def on_raw_reaction_clear_emoji(self, payload: discord.RawReactionClearEmojiEvent) -> None:
        await self.link.events.on_reactions_cleared(payload.channel_id, payload.message_id, str(payload.emoji))

    # A server admin deleting the maintainer role, the review channel or the bot from the server: said now, not at
    # the next restart.
    async def on_guild_role_delete(self, role: discord.Role) -> None:
        self.link.events.check_config()

    async def on_guild_channel_delete(self, channel: discord.abc.GuildChannel) -> None:
        self.link.events.check_config()
        await self.link.events.on_channel_deleted(channel.id)

    async def on_guild_remove(self, guild: discord.Guild) -> None:
        self.link.events.check_config()

    # ... and invited back into it, or the server back from an outage: said and caught up on now too.
    async def on_guild_join(self, guild: discord.Guild) -> None:
        self.link.events.server_back(guild.id)

    async def on_guild_available(self, guild: discord.Guild) -> None:
        self.link.events.server_back(guild.id)

    async def on_guild_channel_update(self, before: discord.abc.GuildChannel, after: discord.abc.GuildChannel) -> None:
        self.link.events.check_config()  # a permission the bot needs given or taken away there

    async def on_guild_role_update(self, before: discord.Role, after: discord.Role) -> None:
        self.link.events.check_config()  # ... or in the server settings, to a role the bot holds (@everyone too)

    async def on_member_update(self, before: discord.Member, after: discord.Member) -> None:
        if self.user is not None and after.id == self.user.id:  # ... or a role given to the bot or taken from it
            self.link.events.check_config()

    async def on_raw_message_edit(self, payload: discord.RawMessageUpdateEvent) -> None:
        await self.link.events.on_message_edited(payload.message)  # a moderator may have removed its embed

    async def on_raw_message_delete(self, payload: discord.RawMessageDeleteEvent) -> None:
        await self.link.events.on_messages_deleted([payload.message_id])

    async def on_raw_bulk_message_delete(self, payload: discord.RawBulkMessageDeleteEvent) -> None:
        await self.link.events.on_messages_deleted(list(payload.message_ids))


def configure_endpoints(settings: Settings) -> None:
    """discord.py keeps its REST base and gateway as class attributes; point them where the settings say."""
    discord.http.Route.BASE = settings.discord.api_base
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(settings.discord.gateway_url)


def _reason(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


class DiscordLink:
    """One connection at a time; `run` keeps one going until `close` (or until Discord refuses the token)."""

    def __init__(self, settings: Settings, events: Events, *, guild_ready_timeout: float, backoff: Backoff) -> None:
        self.settings = settings
        self.config = settings.discord
        self.events = events
        self.guild_ready_timeout = guild_ready_timeout
        self.backoff = backoff
        self.client: _Client | None = None
        # Set when the first attempt has come to something (connected, or failed and waiting to try again).
        self.settled = asyncio.Event()
        self._connected_before = False
        self._ready_in_attempt = False
        self._closing = False
        self._outage: outage.Outage | None = None  # Discord out of reach: since when, after how many attempts
        # What keeps the bot from doing its work although connected (a channel it cannot post in, a role the server
        # does not have), by topic; /healthz is not ok while any is here.
        self.troubles: dict[str, str] = {}

    @property
    def ready(self) -> bool:
        return self.client is not None and self.client.is_ready() and not self.client.is_closed()

    def _new_client(self) -> _Client:
        intents = discord.Intents.none()
        intents.guilds = True
        intents.guild_reactions = True
        intents.guild_messages = True
        client = _Client(
            self,
            intents=intents,
            guild_ready_timeout=self.guild_ready_timeout,
            allowed_mentions=NO_MENTIONS,
            max_messages=None,
            chunk_guilds_at_startup=False,
            max_ratelimit_timeout=LONGEST_WAIT,
        )
        bound_waits(client.http)
        self.events.attach_commands(client)  # each client has its own slash command tree
        return client

    async def run(self) -> None:
        """Connects, and connects again with back-off whenever Discord cannot be reached."""
        configure_endpoints(self.settings)
        delays = self.backoff.delays()
        health.report("discord", True, f"connecting to {self.config.api_base}")
        while not self._closing:
            client = self._new_client()
            self.client = client
            self._ready_in_attempt = False
            problem = await self._attempt(client)
            await client.close()
            if problem is None or self._closing:
                return
            if self._ready_in_attempt:
                delays = self.backoff.delays()  # it worked for a while: start the back-off again from the shortest
            delay = next(delays)
            still = self._say_unreachable(problem, delay)
            self.settled.set()
            await asyncio.sleep(delay)
            health.report("discord", False, f"connecting again (last attempt: {problem}; {still})")

    def _say_unreachable(self, problem: str, delay: float) -> str:
        """The first failure in the log, then a reminder now and then (not 576 lines a weekend); "still down ..."."""
        self._outage, say = outage.failed(self._outage, utc_now())
        still = outage.still_line(self._outage)
        if say is outage.Say.BEGUN:
            log.warning("discord: cannot reach Discord (%s); trying again in %g s", problem, delay)
        elif say is outage.Say.STILL:
            log.warning("discord: cannot reach Discord (%s): %s", problem, still)
        health.report("discord", False, f"unreachable ({problem}); trying again in {delay:g} s; {still}")
        return still

    async def _attempt(self, client: _Client) -> str | None:
        """One login and connection, held until it ends; what went wrong when it is worth trying again, else None."""
        token = self.config.token.get_secret_value() if self.config.token else ""
        try:
            await client.login(token)
        except discord.LoginFailure:
            log.error("discord: the token in DISCORD_TOKEN was refused; Discord review is off until it is fixed")
            health.report("discord", False, "off: Discord refused the token in DISCORD_TOKEN; fix it and restart")
            self.settled.set()
            return None
        except UNREACHABLE as exc:
            return f"{self.config.api_base}: {_reason(exc)}"
        try:
            await client.connect(reconnect=True)
        except (discord.ConnectionClosed, discord.PrivilegedIntentsRequired) as exc:
            log.error("discord: the gateway closed the connection (%s); Discord review is off", exc)
            health.report("discord", False, f"off: the gateway closed the connection ({_reason(exc)}); restart")
            self.settled.set()
            return None
        except CONNECT_FAILED as exc:
            return f"{self.config.gateway_url}: {_reason(exc)}"
        return None if self._closing else "the gateway connection ended"

    async def on_ready(self) -> None:
        self._ready_in_attempt = True
        try:
            await self.events.catch_up()
            self.report_connected()
        finally:
            self.settled.set()  # start() stops waiting whatever catching up met

    def report_connected(self) -> None:
        assert self.client is not None
        user = self.client.user
        channel = self.config.channel_id
        back = f" ({outage.over_line(self._outage, utc_now())})" if self._outage is not None else ""
        self._outage = None
        if not self._connected_before:
            log.info("discord: on, connected as %s, reviewing in channel %s%s", user, channel, back)
        else:
            log.info("discord: connected again%s", back)
        self._connected_before = True
        self._report_health()

    def _report_health(self) -> None:
        assert self.client is not None
        user = self.client.user
        if self.troubles:
            health.report("discord", False, f"connected as {user}, but {'; '.join(self.troubles.values())}")
        else:
            health.report("discord", True, f"connected as {user}; reviewing in channel {self.config.channel_id}")

    def trouble(self, topic: str, problem: str | None) -> None:
        """Records (None: clears) what is wrong with `topic`; a change is said once in the log and to /healthz."""
        if self.troubles.get(topic) == problem:
            return
        if problem is None:
            log.info("discord: %s works again", topic)
            del self.troubles[topic]
        else:
            log.warning("discord: %s", problem)
            self.troubles[topic] = problem
        if self.ready and self._connected_before:
            self._report_health()

    def on_disconnect(self) -> None:
        if not self._closing:
            log.warning("discord: disconnected from the gateway; reconnecting")
            health.report("discord", False, "disconnected from the gateway; reconnecting")

    async def close(self, runner: asyncio.Task[None] | None) -> None:
        self._closing = True
        # The client first: `run` may be closing it already (a refused token), and cancelling `run` then would
        # cancel the close this awaits too.
        if self.client is not None:
            await self.client.close()
        if runner is not None:
            runner.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await runner
        health.report("discord", True, "off: logged out")
