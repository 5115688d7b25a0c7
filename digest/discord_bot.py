"""The Discord review bot: posts candidates, turns maintainers' reactions into Reviewer decisions, edits messages.

Events in, Reviewer calls out. Who may decide and what a decision does live in digest.review; what a message says
and what an emoji means live in digest.discord_messages. Runs in the service's asyncio loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from typing import Any

import aiohttp
import discord
import yarl

from digest import discord_messages as messages
from digest import discord_store as store
from digest.db import Database
from digest.models import Candidate
from digest.review import Actor, Outcome, Reviewer, ReviewError, may_decide, utc_now
from digest.settings import Settings

log = logging.getLogger("digest.discord")

SYNC_INTERVAL_SECONDS = 5.0
READY_TIMEOUT_SECONDS = 60.0
NO_MENTIONS = discord.AllowedMentions.none()


@dataclass(frozen=True)
class PostReport:
    posted: int
    waiting: int  # pending candidates left for the web review page
    failed: int


class _Client(discord.Client):
    """discord.py calls `on_<event>` methods; each one hands the event to the bot."""

    def __init__(self, bot: ReviewBot, **options: Any) -> None:
        super().__init__(**options)
        self.bot = bot

    async def on_ready(self) -> None:
        await self.bot.catch_up()

    async def on_raw_reaction_add(self, payload: discord.RawReactionActionEvent) -> None:
        await self.bot.on_reaction(payload, added=True)

    async def on_raw_reaction_remove(self, payload: discord.RawReactionActionEvent) -> None:
        await self.bot.on_reaction(payload, added=False)

    async def on_raw_message_delete(self, payload: discord.RawMessageDeleteEvent) -> None:
        await self.bot.on_messages_deleted([payload.message_id])

    async def on_raw_bulk_message_delete(self, payload: discord.RawBulkMessageDeleteEvent) -> None:
        await self.bot.on_messages_deleted(list(payload.message_ids))


def configure_endpoints(settings: Settings) -> None:
    """discord.py keeps its REST base and gateway as class attributes; point them where the settings say."""
    discord.http.Route.BASE = settings.discord.api_base
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(settings.discord.gateway_url)


class ReviewBot:
    def __init__(
        self,
        settings: Settings,
        database: Database,
        reviewer: Reviewer,
        *,
        guild_ready_timeout: float = 2.0,
        sync_interval: float = SYNC_INTERVAL_SECONDS,
    ) -> None:
        self.settings = settings
        self.config = settings.discord
        self.database = database
        self.reviewer = reviewer
        self.guild_ready_timeout = guild_ready_timeout
        self.sync_interval = sync_interval
        self.client: _Client | None = None
        self.caught_up = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        # discord.py runs each event in its own task; one lock keeps reactions in arrival order ("the latest
        # decision stands") and one keeps message edits in decision order.
        self._reaction_lock = asyncio.Lock()
        self._edit_lock = asyncio.Lock()
        self._post_lock = asyncio.Lock()
        if self.config.enabled:
            reviewer.add_listener(self.on_decision)

    # -- start and stop -------------------------------------------------------------------------------------------
    async def start(self) -> None:
        """Logs in, connects, and applies what happened while the bot was away. Never raises for network trouble."""
        if not self.config.enabled or not self.config.token:
            log.info("discord: off (DISCORD_TOKEN is not set)")
            return
        configure_endpoints(self.settings)
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
        )
        try:
            await client.login(self.config.token)
        except discord.LoginFailure:
            log.error("discord: the token in DISCORD_TOKEN was refused; Discord review is off until it is fixed")
            await client.close()
            return
        except (discord.HTTPException, aiohttp.ClientError, OSError) as exc:
            log.error("discord: cannot reach %s (%s); Discord review is off", self.config.api_base, exc)
            await client.close()
            return
        self.client = client
        self._tasks = [asyncio.create_task(self._connect()), asyncio.create_task(self._sync_forever())]
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.caught_up.wait(), READY_TIMEOUT_SECONDS)
        if not self.caught_up.is_set():
            log.warning("discord: the gateway did not get ready in %.0f s; still trying", READY_TIMEOUT_SECONDS)

    async def _connect(self) -> None:
        assert self.client is not None
        try:
            await self.client.connect(reconnect=True)
        except (discord.ConnectionClosed, discord.PrivilegedIntentsRequired, discord.GatewayNotFound) as exc:
            log.error("discord: the gateway closed the connection (%s); Discord review is off", exc)

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        if self.client is not None:
            await self.client.close()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []

    @property
    def ready(self) -> bool:
        return self.client is not None and self.client.is_ready() and not self.client.is_closed()

    def _channel(self, channel_id: int | None = None) -> discord.PartialMessageable:
        assert self.client is not None and self.config.channel_id is not None
        return self.client.get_partial_messageable(channel_id or self.config.channel_id, guild_id=self.config.guild_id)

    # -- posting ---------------------------------------------------------------------------------------------------
    async def post_pending(self) -> PostReport:
        """Posts unposted (and deleted) pending candidates, best score first, up to the cap; notes how many wait."""
        async with self._post_lock:
            chosen, waiting = await asyncio.to_thread(
                store.candidates_to_post, self.database, self.config.post_cap_per_run
            )
            if not self.ready:
                log.info("discord: not connected; %d candidate(s) wait to be posted", len(chosen) + waiting)
                return PostReport(0, len(chosen) + waiting, 0)
            posted = failed = 0
            for candidate in chosen:
                if await self._post(candidate):
                    posted += 1
                else:
                    failed += 1
                    break  # Discord keeps failing after discord.py's own retries: leave the rest for the next run
            waiting += len(chosen) - posted
            if waiting and posted:
                notice = messages.waiting_notice(waiting, self.settings.web.base_url)
                try:
                    await self._channel().send(notice, allowed_mentions=NO_MENTIONS)
                except discord.HTTPException as exc:
                    log.warning("discord: could not post the waiting notice: %s", exc)
            log.info("discord: posted %d candidate(s), %d wait on the review page", posted, waiting)
            return PostReport(posted, waiting, failed)

    async def _post(self, candidate: Candidate) -> bool:
        embed = discord.Embed.from_dict(messages.candidate_embed(candidate, self.config.section_emojis))
        try:
            message = await self._channel().send(embed=embed, allowed_mentions=NO_MENTIONS)
        except discord.HTTPException as exc:
            log.warning("discord: could not post candidate %s (%s); it will be posted next run", candidate.id, exc)
            return False
        # Marked posted only now that Discord has accepted the message.
        await asyncio.to_thread(
            store.update,
            self.database,
            candidate.id,
            discord_channel_id=str(message.channel.id),
            discord_message_id=str(message.id),
            discord_state="posted",
            discord_posted_at=utc_now(),
            discord_shown_status=candidate.status,
        )
        for emoji in messages.BOT_REACTIONS:
            try:
                await message.add_reaction(emoji)
            except discord.HTTPException as exc:
                log.warning("discord: could not add %s to candidate %s: %s", emoji, candidate.id, exc)
        return True

    # -- events ----------------------------------------------------------------------------------------------------
    async def on_reaction(self, payload: discord.RawReactionActionEvent, *, added: bool) -> None:
        assert self.client is not None
        if self.client.user is not None and payload.user_id == self.client.user.id:
            return
        if payload.channel_id != self.config.channel_id:
            return
        choice = messages.reaction_choice(str(payload.emoji), self.config.section_emojis)
        if choice is None:
            return
        async with self._reaction_lock:
            candidate_id = await asyncio.to_thread(store.candidate_for_message, self.database, payload.message_id)
            if candidate_id is None:
                return
            if added:
                member = payload.member or await self._member(payload.guild_id, payload.user_id)
                if member is None or not may_decide([role.id for role in member.roles], member.id, self.config):
                    log.info(
                        "discord: ignored a reaction on candidate %s by non-maintainer %s",
                        candidate_id,
                        payload.user_id,
                    )
                    return
                actor = Actor(member.display_name, str(member.id), "discord")
                await self._decide(candidate_id, choice.action, actor, choice.section)
                return
            decider = await asyncio.to_thread(
                store.deciding_actor, self.database, candidate_id, payload.user_id, choice
            )
            if decider is not None:
                await self._decide(candidate_id, "revert", Actor(decider, str(payload.user_id), "discord"))

    async def on_messages_deleted(self, message_ids: list[int]) -> None:
        for message_id in message_ids:
            candidate_id = await asyncio.to_thread(store.candidate_for_message, self.database, message_id)
            if candidate_id is not None:
                await asyncio.to_thread(store.mark_repost, self.database, candidate_id)
                log.info("discord: the message of candidate %s was deleted; it will be posted again", candidate_id)

    async def on_decision(self, outcome: Outcome) -> None:
        """Reviewer listener: any decision (Discord, web, feed, CLI in this process) edits the message."""
        if self.ready:
            await self._show(outcome.candidate_id)

    async def _decide(self, candidate_id: int, action: str, actor: Actor, section: str | None = None) -> None:
        try:
            await self.reviewer.decide_async(candidate_id, action, actor, section)
        except ReviewError as exc:
            log.warning("discord: %s by %s on candidate %s refused: %s", action, actor.name, candidate_id, exc)

    async def _member(self, guild_id: int | None, user_id: int) -> discord.Member | None:
        assert self.client is not None
        guild = self.client.get_guild(guild_id or self.config.guild_id or 0)
        if guild is None:
            return None
        try:
            return await guild.fetch_member(user_id)
        except discord.HTTPException:
            return None

    # -- keeping messages true -------------------------------------------------------------------------------------
    async def _show(self, candidate_id: int) -> None:
        async with self._edit_lock:
            candidate = await asyncio.to_thread(store.load, self.database, candidate_id)
            if candidate is None or candidate.discord_state != "posted" or candidate.discord_message_id is None:
                return
            embed = discord.Embed.from_dict(messages.candidate_embed(candidate, self.config.section_emojis))
            channel = self._channel(int(candidate.discord_channel_id or 0) or None)
            try:
                await channel.get_partial_message(int(candidate.discord_message_id)).edit(
                    embed=embed, allowed_mentions=NO_MENTIONS
                )
            except discord.NotFound:
                await asyncio.to_thread(store.mark_repost, self.database, candidate_id)
                return
            except discord.HTTPException as exc:
                log.warning("discord: could not edit the message of candidate %s: %s", candidate_id, exc)
                return
            await asyncio.to_thread(store.update, self.database, candidate_id, discord_shown_status=candidate.status)

    async def sync_shown(self) -> None:
        """Edits messages whose candidate was decided in another process (the CLI) since the message was edited."""
        for candidate_id in await asyncio.to_thread(store.out_of_sync, self.database):
            await self._show(candidate_id)

    async def _sync_forever(self) -> None:
        while True:
            await asyncio.sleep(self.sync_interval)
            if self.ready:
                try:
                    await self.sync_shown()
                except (discord.HTTPException, aiohttp.ClientError, OSError) as exc:
                    log.warning("discord: syncing messages failed: %s", exc)

    async def catch_up(self) -> None:
        """On (re)connect: apply reactions made while the bot was away, then edit messages decided elsewhere."""
        try:
            async with self._reaction_lock:
                for candidate_id, message_id in await asyncio.to_thread(store.pending_posted, self.database):
                    await self._replay_reactions(candidate_id, message_id)
            await self.sync_shown()
        except (discord.HTTPException, aiohttp.ClientError, OSError) as exc:
            log.warning("discord: catching up after connecting failed: %s", exc)
        finally:
            self.caught_up.set()

    async def _replay_reactions(self, candidate_id: int, message_id: int) -> None:
        assert self.client is not None and self.client.user is not None
        try:
            message = await self._channel().fetch_message(message_id)
        except discord.NotFound:
            await asyncio.to_thread(store.mark_repost, self.database, candidate_id)
            return
        # A reaction already decided on (and maybe reverted since, on the web or the CLI) is not news: replaying
        # it would undo that revert on every restart.
        applied = await asyncio.to_thread(store.applied_reactions, self.database, candidate_id)
        candidate = await asyncio.to_thread(store.load, self.database, candidate_id)
        found: dict[tuple[str, str | None], Actor] = {}
        for reaction in message.reactions:
            choice = messages.reaction_choice(str(reaction.emoji), self.config.section_emojis)
            if choice is None or reaction.count <= (1 if reaction.me else 0):
                continue
            async for user in reaction.users():
                if user.id == self.client.user.id:
                    continue
                suggested = candidate.suggested_section if candidate else None
                if messages.reaction_key(user.id, choice, suggested) in applied:
                    continue
                member = await self._member(self.config.guild_id, user.id)
                if member is not None and may_decide([role.id for role in member.roles], member.id, self.config):
                    actor = Actor(member.display_name, str(user.id), "discord")
                    found.setdefault((choice.action, choice.section), actor)
        if len(found) > 1:
            # Discord does not say which reaction came last, so conflicting ones are left for a maintainer.
            log.warning(
                "discord: conflicting reactions on candidate %s while the bot was away; left pending", candidate_id
            )
        elif found:
            (action, section), actor = next(iter(found.items()))
            await self._decide(candidate_id, action, actor, section)
