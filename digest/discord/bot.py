"""The Discord review bot: posts candidates, turns maintainers' reactions into Reviewer decisions, edits messages.

Events in, Reviewer calls out. Who may decide and what a decision does live in digest.review.reviewer; what a
message says and what an emoji means live in digest.discord.messages. Runs in the service's asyncio loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import timedelta

import discord

from digest import health
from digest.clock import utc_now
from digest.config import Settings
from digest.discord import messages, store
from digest.discord.catchup import ROUND_ERRORS, CatchUp
from digest.discord.commands import SlashCommands
from digest.discord.connection import NO_MENTIONS, Backoff, DiscordLink
from digest.discord.members import Members
from digest.discord.messages import PostReport
from digest.discord.retries import Retries
from digest.review.reviewer import Reviewer
from digest.review.rules import Actor, Outcome, ReviewError
from digest.storage.db import Database
from digest.storage.models import Candidate

log = logging.getLogger("digest.discord")

SYNC_INTERVAL_SECONDS = 5.0
READY_TIMEOUT_SECONDS = 60.0
# How far back catching up looks at candidates already decided through Discord (an undo, a later reaction).
CATCH_UP_WINDOW = timedelta(days=14)
POSTING = "posting"  # the key of posting runs in the retries


class ReviewBot:
    def __init__(
        self,
        settings: Settings,
        database: Database,
        reviewer: Reviewer,
        *,
        guild_ready_timeout: float = 2.0,
        sync_interval: float = SYNC_INTERVAL_SECONDS,
        backoff: Backoff | None = None,
    ) -> None:
        self.settings = settings
        self.config = settings.discord
        self.database = database
        self.reviewer = reviewer
        self.sync_interval = sync_interval
        self.link = DiscordLink(settings, self, guild_ready_timeout=guild_ready_timeout, backoff=backoff or Backoff())
        self.members = Members(self.config, lambda: self.link.client)
        self.commands = SlashCommands(settings, database, reviewer, self.members)
        self.catching_up = CatchUp(
            database, self.members, self._channel, self._decide, self._mark_repost, retry_after=sync_interval
        )
        self.caught_up = asyncio.Event()
        self.sync_rounds = 0  # background rounds finished, so a test can wait for one without sleeping
        self._runner: asyncio.Task[None] | None = None
        self._syncer: asyncio.Task[None] | None = None
        # Candidates a posting run has already weighed (posted, or left to wait under the cap); one that is not
        # here was found since, by this process or another one, and calls for a run.
        self._offered: set[int] = set()
        self._unoffered_before: set[int] = set()
        self._post_retries: Retries[str] = Retries(sync_interval)  # after a failed post, the next try waits
        # discord.py runs each event in its own task; one lock keeps reactions in arrival order ("the latest
        # decision stands") and one keeps message edits in decision order.
        self._reaction_lock = asyncio.Lock()
        self._edit_lock = asyncio.Lock()
        self._post_lock = asyncio.Lock()
        if self.config.enabled:
            reviewer.add_listener(self.on_decision)

    # -- start and stop -------------------------------------------------------------------------------------------
    async def start(self) -> None:
        """Starts connecting and waits until the bot has caught up, or the first attempt failed (it keeps trying
        with back-off), or READY_TIMEOUT_SECONDS passed. Never raises for network trouble."""
        if not self.config.enabled or not self.config.token:
            log.info("discord: off (DISCORD_TOKEN is not set)")
            health.report("discord", True, "off: DISCORD_TOKEN is not set")
            return
        self._runner = asyncio.create_task(self.link.run())
        self._syncer = asyncio.create_task(self._sync_forever())
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.link.settled.wait(), READY_TIMEOUT_SECONDS)
        if not self.link.settled.is_set():
            log.warning("discord: the gateway did not get ready in %.0f s; still trying", READY_TIMEOUT_SECONDS)
            health.report("discord", False, f"the gateway did not get ready in {READY_TIMEOUT_SECONDS:.0f} s")

    async def close(self) -> None:
        if self._syncer is not None:
            self._syncer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._syncer
        if self._runner is not None:
            await self.link.close(self._runner)
        self._runner = self._syncer = None

    @property
    def client(self) -> discord.Client | None:
        return self.link.client

    @property
    def ready(self) -> bool:
        return self.link.ready

    def _channel(self, channel_id: int | None = None) -> discord.PartialMessageable:
        assert self.client is not None and self.config.channel_id is not None
        return self.client.get_partial_messageable(channel_id or self.config.channel_id, guild_id=self.config.guild_id)

    # -- posting ---------------------------------------------------------------------------------------------------
    async def post_pending(self) -> PostReport:
        """Posts unposted (and deleted) pending candidates, best score first, up to the cap; notes how many wait."""
        async with self._post_lock:
            chosen, left = await asyncio.to_thread(
                store.candidates_to_post, self.database, self.config.post_cap_per_run
            )
            if not self.ready:
                log.info("discord: not connected; %d candidate(s) wait to be posted", len(chosen) + len(left))
                return PostReport(0, len(chosen) + len(left), 0)
            posted = failed = 0
            for candidate in chosen:
                if await self._post(candidate):
                    posted += 1
                    self._offered.add(candidate.id)
                else:
                    failed += 1
                    break  # Discord keeps failing after discord.py's own retries: the rest are tried again later
            # Those over the cap wait for the next run; those not posted are tried again by the background loop.
            self._offered.update(left)
            if failed:
                delay = self._post_retries.failed(POSTING)
                log.warning("discord: %d candidate(s) not posted; trying again in %g s", len(chosen) - posted, delay)
            else:
                self._post_retries.succeeded(POSTING)
            waiting = len(left) + len(chosen) - posted
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
            log.warning("discord: could not post candidate %s: %s", candidate.id, exc)
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
                actor = await self.members.maintainer(
                    payload.guild_id, payload.user_id, str(payload.user_id), candidate_id, payload.member
                )
                if actor is not None:
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
                await self._mark_repost(candidate_id)
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

    async def _mark_repost(self, candidate_id: int) -> None:
        """Its message is gone: the candidate is news again for the next posting round."""
        await asyncio.to_thread(store.mark_repost, self.database, candidate_id)
        self._offered.discard(candidate_id)

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
                await self._mark_repost(candidate_id)
                return
            except discord.HTTPException as exc:
                log.warning("discord: could not edit the message of candidate %s: %s", candidate_id, exc)
                return
            await asyncio.to_thread(store.update, self.database, candidate_id, discord_shown_status=candidate.status)

    async def sync_shown(self) -> None:
        """Edits messages whose candidate was decided in another process (the CLI) since the message was edited."""
        for candidate_id in await asyncio.to_thread(store.out_of_sync, self.database):
            await self._show(candidate_id)

    async def post_new(self) -> PostReport | None:
        """A posting run when candidates were found since the last one, by any process, and finding has stopped:
        no poll is running and nothing new came since the previous round (a backfill adds candidates page by
        page). So each poll, wherever it ran, gets one run and its cap."""
        unoffered = await asyncio.to_thread(store.ids_to_post, self.database) - self._offered
        settled = unoffered == self._unoffered_before
        self._unoffered_before = unoffered
        if not unoffered or not settled or self._post_retries.waiting(POSTING):
            return None
        if await asyncio.to_thread(store.poll_running, self.database, utc_now()):
            return None
        return await self.post_pending()

    async def _sync_forever(self) -> None:
        """Every few seconds: edit messages decided in other processes and post what other processes found."""
        while True:
            await asyncio.sleep(self.sync_interval)
            if self.ready:
                try:
                    async with self._reaction_lock:
                        await self.catching_up.retry_due()
                    await self.sync_shown()
                    await self.post_new()
                except ROUND_ERRORS as exc:
                    log.warning("discord: syncing with the database failed (trying again in %g s): %s",
                                self.sync_interval, exc)  # fmt: skip
            self.sync_rounds += 1

    def attach_commands(self, client: discord.Client) -> None:
        self.commands.attach(client)

    async def catch_up(self) -> None:
        """On (re)connect: register /add, replay reactions made or taken back while away, edit messages decided
        elsewhere."""
        await self.commands.register()
        since = utc_now() - CATCH_UP_WINDOW
        try:
            posted = await asyncio.to_thread(store.to_catch_up, self.database, since)
            async with self._reaction_lock:
                await self.catching_up.run(posted)
            await self.sync_shown()
        except ROUND_ERRORS as exc:
            log.warning("discord: catching up after connecting failed: %s", exc)
        finally:
            self.caught_up.set()
