"""The Discord review bot: posts candidates, turns maintainers' reactions into Reviewer decisions, edits messages.
Events in, Reviewer calls out. Who may decide and what a decision does live in digest.review.reviewer; what a
message says and what an emoji means live in digest.discord.messages and digest.discord.reactions. Runs in the
service's asyncio loop."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterator
from datetime import timedelta

import discord

from digest import health
from digest.clock import SYSTEM_CLOCK, Clock, utc_now
from digest.config import Settings
from digest.discord import gone, messages, reactions, store
from digest.discord.catchup import ROUND_ERRORS, CatchUp
from digest.discord.commands import SlashCommands
from digest.discord.connection import Backoff, DiscordLink
from digest.discord.members import Members
from digest.discord.messages import PostReport
from digest.discord.owed import Owed
from digest.discord.posting import Poster
from digest.discord.rate_limits import ChannelHolds
from digest.discord.reacting import OwnReactions
from digest.discord.showing import MessageEditor
from digest.review.reviewer import Reviewer
from digest.review.rules import Actor, Outcome, ReviewError
from digest.storage.db import Database

log = logging.getLogger("digest.discord")

SYNC_INTERVAL_SECONDS = 5.0
READY_TIMEOUT_SECONDS = 60.0
# How far back catching up looks at candidates already decided through Discord (an undo, a later reaction).
CATCH_UP_WINDOW = timedelta(days=14)


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
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        self.settings = settings
        self.config = settings.discord
        self.database = database
        self.reviewer = reviewer
        self.sync_interval = sync_interval
        self.link = DiscordLink(settings, self, guild_ready_timeout=guild_ready_timeout, backoff=backoff or Backoff())
        self.members = Members(self.config, lambda: self.link.client)
        self.commands = SlashCommands(settings, database, reviewer, self.members)
        # `clock` times the waits before a retry (Discord's rate limits among them).
        steady = clock.monotonic
        holds = ChannelHolds(steady)  # a channel Discord rate-limited gets no request (a read too) till it allows
        missing = self.members.missing_permissions
        self.reactions = OwnReactions(database, self._channel, holds, sync_interval, self.link.trouble, missing, steady)
        self.poster = Poster(settings, database, lambda: self.ready, self._channel, self._own_id, sync_interval,
                             self.link.trouble, holds, self.reactions, missing, steady)  # fmt: skip
        self.editor = MessageEditor(self.config, database, self._channel, self._message_gone, self.reactions.add,
                                    self._own_id, sync_interval, holds, steady)  # fmt: skip
        # Messages whose reaction the database (or a member lookup) failed to take in: caught up on with the recent
        # ones, however old their candidate's decision (catching up looks at the last CATCH_UP_WINDOW's alone, and
        # would miss them), after a restart too.
        self.owed = Owed(database)
        self.catching_up = CatchUp(database, reviewer.digest, self.members, self._channel, self._decide,
                                   self._message_gone, self.editor, self.reactions, sync_interval,
                                   self.link.trouble, self.owed, holds, steady)  # fmt: skip
        self.caught_up = asyncio.Event()
        self._replay_again = False  # catching up failed as a whole, or a permission came back: the loop does it
        self.sync_rounds = 0  # background rounds finished, so a test can wait for one without sleeping
        self._runner: asyncio.Task[None] | None = None
        self._syncer: asyncio.Task[None] | None = None
        # Each event runs in its own task: one lock keeps reactions in arrival order (the latest decision stands); the
        # editor keeps message edits in decision order.
        self._reaction_lock = asyncio.Lock()
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
        await self.poster.retry_refused()
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

    async def post_pending(self) -> PostReport:
        """Posts unposted (and deleted) pending candidates, best score first, up to the cap; notes how many wait."""
        report = await self.poster.post_pending()
        await self._catch_up_found()
        return report

    async def _catch_up_found(self) -> None:
        """Messages a killed process sent and the poster found: what was done to them before they were recorded; and
        messages offering ✅ again: a maintainer's ✅ refused meanwhile (no such section) decides now, as at a start."""
        async with self._reaction_lock:
            while self.poster.found:
                await self.catching_up.replay_or_retry(*self.poster.found.pop())
            while self.editor.offered_again:
                await self.catching_up.replay_or_retry(*self.editor.offered_again.pop(0))

    @property
    def client(self) -> discord.Client | None:
        return self.link.client

    @property
    def ready(self) -> bool:
        return self.link.ready

    def _own_id(self) -> int | None:
        return self.client.user.id if self.client is not None and self.client.user is not None else None

    def _channel(self, channel_id: int | None = None) -> discord.PartialMessageable:
        assert self.client is not None and self.config.channel_id is not None
        return self.client.get_partial_messageable(channel_id or self.config.channel_id, guild_id=self.config.guild_id)

    # -- events ----------------------------------------------------------------------------------------------------
    async def on_reaction(self, payload: discord.RawReactionActionEvent, *, added: bool) -> None:
        assert self.client is not None
        own_id = self.client.user.id if self.client.user is not None else None
        if payload.channel_id != self.config.channel_id:
            return
        if payload.user_id == own_id:  # never decides; one a moderator took off is put back
            if not added:
                with self._caught_up_later(f"putting back the bot's reaction on message {payload.message_id}"):
                    await self.reactions.taken_off(payload.message_id, str(payload.emoji))
            return
        choice = reactions.reaction_choice(str(payload.emoji), self.config.section_emojis)
        if choice is None and added:  # taken back, one may have meant something when made (catching_up.apply)
            return
        async with self._reaction_lock:
            with self._caught_up_later(f"a reaction on message {payload.message_id}", payload.message_id):
                await self.catching_up.apply(payload, choice, added=added)

    async def on_reactions_cleared(self, channel_id: int, message_id: int, emoji: str | None) -> None:
        """A moderator took every reaction (or all of one emoji) off a message: as if each had been taken back, now
        rather than at the next restart; catching up on it puts the bot's own reactions back."""
        if channel_id != self.config.channel_id:
            return
        if emoji is not None and reactions.reaction_choice(emoji, self.config.section_emojis) is None:
            return
        async with self._reaction_lock:
            with self._caught_up_later(f"clearing the reactions of message {message_id}", message_id):
                candidate_id = await asyncio.to_thread(store.candidate_for_message, self.database, message_id)
                if candidate_id is not None:
                    await self.catching_up.replay_or_retry(candidate_id, message_id)

    async def on_message_edited(self, message: discord.Message) -> None:
        with self._caught_up_later(f"editing message {message.id}"):
            await self.editor.on_edited(message)

    async def on_messages_deleted(self, message_ids: list[int]) -> None:
        for message_id in message_ids:
            with self._caught_up_later(f"deleting message {message_id}"):
                candidate_id = await asyncio.to_thread(store.candidate_for_message, self.database, message_id)
                if candidate_id is not None:
                    await self._message_gone(candidate_id)

    @contextlib.contextmanager
    def _caught_up_later(self, event: str, message_id: int | None = None) -> Iterator[None]:
        """An event the database (or Discord) failed to take in: the background loop catches up on it (on the message
        of `message_id` among the others), not lose it."""
        try:
            yield
        except ROUND_ERRORS as exc:
            if message_id is not None:
                self.owed.note(message_id)  # saved by the background loop once the database takes it
            self._replay_again = True
            log.warning("discord: %s is not taken in yet (caught up on in %g s): %s", event, self.sync_interval, exc)

    async def on_decision(self, outcome: Outcome) -> None:
        """Reviewer listener: any decision (Discord, web, feed, CLI in this process) edits the message."""
        if self.ready:
            await self.editor.show(outcome.candidate_id)

    async def _decide(self, candidate_id: int, action: str, actor: Actor, section: str | None = None,
                      *, shown: str | None = None, superseded: bool = False) -> None:  # fmt: skip
        try:
            # A reaction does not overturn a decision made on the web, the CLI or a feed link (README: one decision,
            # several channels): the first stands, and the message says so. Its message shows the candidate, not the
            # list: a section's emoji adds no second entry of a paper listed by hand since (the note says where it is).
            outcome = await self.reviewer.decide_async(
                candidate_id, action, actor, section, first_stands=True, superseded=superseded, copies=False
            )
            if outcome.overruled_by is not None:
                await self.editor.show(candidate_id, messages.overruled_note(action, outcome.overruled_by), shown)
        except ReviewError as exc:
            log.warning("discord: %s by %s on candidate %s refused: %s", action, actor.name, candidate_id, exc)
            await self.editor.show(
                candidate_id, messages.refusal_note(action, str(exc), self.config.section_emojis), shown
            )

    async def _message_gone(self, candidate_id: int, exc: discord.NotFound | None = None) -> None:
        """Its message is gone (`exc`: Discord's answer, when it said so): a pending candidate is news again for the
        next posting round, and those whose messages went with their channel wait for one; a decided one is not."""
        for pending in await gone.message_gone(self.database, candidate_id, exc):
            self.poster.forget(pending)

    async def on_channel_deleted(self, channel_id: int) -> None:
        with self._caught_up_later(f"deleting channel {channel_id}"):
            for pending in (await asyncio.to_thread(gone.forget_channel, self.database, channel_id))[0]:
                self.poster.forget(pending)

    async def _sync_forever(self) -> None:
        """Every few seconds: edit messages decided in other processes and post what other processes found."""
        while True:
            await asyncio.sleep(self.sync_interval)
            await self.owed.save()
            if self.ready:
                try:
                    if self._replay_again:
                        await self._replay_all()
                    async with self._reaction_lock:
                        await self.catching_up.retry_due()
                    await self.poster.settle_decided()
                    await self.editor.sync()
                    await self.poster.post_found()
                    await self.poster.notice_owed()
                    await self._catch_up_found()
                    await self.reactions.retry()
                except ROUND_ERRORS as exc:
                    log.warning("discord: syncing with the database failed (trying again in %g s): %s",
                                self.sync_interval, exc)  # fmt: skip
            self.sync_rounds += 1

    def attach_commands(self, client: discord.Client) -> None:
        self.commands.attach(client)

    async def catch_up(self) -> None:
        """On (re)connect: register /add, say what the config gets wrong, replay reactions made or taken back while
        away, edit messages decided elsewhere."""
        await self.commands.register()
        self.check_config()
        try:
            await self._replay_all()
        finally:
            self.caught_up.set()

    def check_config(self) -> None:
        """Says (once, and on /healthz) what in the config the servers the bot sees contradict, or that all is well."""
        self.link.trouble("config", "; ".join(self.members.config_problems()) or None)
        if self.members.sees_again():  # caught up on as after a restart, the messages it may edit again shown anew
            self._replay_again = True
            self.editor.allow_all()

    def server_back(self, guild_id: int) -> None:
        """The bot invited back into the review channel's server (or the server back after an outage), once it has
        caught up: what it said was wrong may hold no more, and the reactions made while it heard nothing from there
        are caught up on by the background loop, not at the next restart."""
        channel = self.client.get_channel(self.config.channel_id or 0) if self.client is not None else None
        if self.ready and isinstance(channel, discord.abc.GuildChannel) and channel.guild.id == guild_id:
            self.check_config()
            self._replay_again = True
            self.editor.allow_all()

    async def _replay_all(self) -> None:
        """Catching up on every recent message; when that cannot even start (the database failing), the background
        loop tries again."""
        since = utc_now() - CATCH_UP_WINDOW
        try:
            missed = await self.owed.all()
            posted = await asyncio.to_thread(store.to_catch_up, self.database, since, missed)
            async with self._reaction_lock:
                await self.catching_up.run(posted)
            # One no posted candidate holds (a reaction on talk in the channel, a message deleted since): owed nothing.
            await self.owed.settle(missed - {message_id for _candidate, message_id in posted})
            self._replay_again = False
            await self.editor.sync()
        except ROUND_ERRORS as exc:
            self._replay_again = True
            log.warning("discord: catching up after connecting failed (trying again in %g s): %s",
                        self.sync_interval, exc)  # fmt: skip
