"""Keeping each candidate's message true: edits it to show the candidate's status (and why a reaction did nothing),
again after Discord failed an edit, puts back the embed a moderator removed from it (suppressed its embeds), and keeps
the bot's ✅ under it only while the suggestion it shows is one ✅ approves into (tried again when Discord fails)."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from http import HTTPStatus

import discord

from digest.config import DiscordSettings
from digest.discord import messages, notes, store
from digest.discord.connection import NO_MENTIONS
from digest.discord.decided import ShownDecisions, shown_now
from digest.discord.legend import section_legend
from digest.discord.rate_limits import ChannelHolds, asked_wait
from digest.discord.retries import Retries
from digest.discord.suggested import ShownLegends, ShownSuggestions, approvable, legend_shown, shown_text
from digest.review.rules import SuggestedSection
from digest.storage.db import Database
from digest.storage.models import Candidate

log = logging.getLogger("digest.discord")


def _shows_as_held(
    candidate: Candidate, suggestion: SuggestedSection | None, into: str | None, legend: str, emojis: Mapping[str, str]
) -> bool:
    """Whether the candidate's message shows the status, decision and version its row holds (store.out_of_sync), and
    its suggested section, the one it went into and the section `legend` as the list has them now (`suggestion`,
    `into`; ShownSuggestions.stale, ShownDecisions.stale, ShownLegends.stale; `emojis`: [discord.section_emojis])."""
    return bool(
        legend_shown(candidate.discord_shown_legend, emojis) == legend
        and candidate.discord_shown_status is not None
        and candidate.discord_shown_status == candidate.status
        and candidate.discord_shown_decided_at == candidate.decided_at
        and candidate.discord_shown_version == candidate.version
        and candidate.discord_shown_suggestion == shown_text(suggestion)
        and candidate.discord_shown_section == into
    )


def blank(message: discord.Message) -> bool:
    """Whether the message shows no embed: a moderator removed it (Discord's "suppress embeds"), which leaves a
    candidate's message empty, as the bot's messages say everything in their embed."""
    return not message.embeds or message.flags.suppress_embeds


class MessageEditor:
    def __init__(
        self,
        config: DiscordSettings,
        database: Database,
        channel: Callable[[int | None], discord.PartialMessageable],
        repost: Callable[[int, discord.NotFound], Awaitable[None]],
        react: Callable[[int, discord.Message, str], Awaitable[None]],
        own_id: Callable[[], int | None],
        retry_after: float,
        holds: ChannelHolds,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.config = config
        self.database = database
        self._channel = channel
        self._repost = repost  # its message is gone
        self._react = react  # the bot's own reaction added to a message (tried again with back-off when Discord fails)
        self._own_id = own_id  # the bot's user id
        # One edit at a time, in decision order.
        self._lock = asyncio.Lock()
        self._retries: Retries[int] = Retries(retry_after, clock=clock)
        # Channels Discord rate-limited (a 429 on an edit, a post, a reaction): no edit is sent there until the wait is
        # over. discord.py forgets a 429 it raises, so each further edit would go out and be answered 429 again.
        self._holds = holds
        self._uneditable: set[int] = set()  # messages Discord forbids the bot to edit (403, 400), until it restarts
        self._suggestions = ShownSuggestions()
        self._decisions = ShownDecisions()
        self._legends = ShownLegends(config.section_emojis)
        self._unremoved: Retries[int] = Retries(retry_after, clock=clock)  # the bot's ✅ Discord failed to take off
        # (candidate, message) whose message offers ✅ again: the bot catches up on it as a restart would, so that a
        # maintainer's ✅ refused while the suggested section was not one section of the list decides now.
        self.offered_again: list[tuple[int, int]] = []

    def allow_all(self) -> None:
        """A permission given back: every message may be edited again."""
        self._uneditable = set()

    async def show(
        self,
        candidate_id: int,
        note: str | None = None,
        shown: str | None = None,
        message: discord.Message | None = None,
        *,
        if_out_of_sync: bool = False,
        keep_note: bool = False,
    ) -> None:
        """Edits the message to show its status and `note` (why a reaction did nothing), unless `shown` says so now;
        `message`: the message as Discord has it, when known (its embeds shown again in the same edit).
        `if_out_of_sync`: only if the message still shows another status (or suggested section) than the row (or the
        list) holds, once the lock is held: an embed put back with its note meanwhile (restore) is not edited again
        without it. `keep_note`: with the note the message shows or is owed, read once the lock is held, unless a
        decision came since (notes.kept), in place of `note`."""
        async with self._lock:
            await self._show(candidate_id, note, shown, message, if_out_of_sync=if_out_of_sync, keep_note=keep_note)

    async def _show(
        self, candidate_id: int, note: str | None, shown: str | None, message: discord.Message | None,
        *, if_out_of_sync: bool, keep_note: bool = False
    ) -> None:  # fmt: skip
        """`show`, the lock held."""
        emojis = self.config.section_emojis
        shown_as = await asyncio.to_thread(shown_now, self.database, candidate_id, emojis)
        candidate, listed, into, offered, elsewhere = shown_as
        if candidate is None or candidate.discord_state != "posted" or candidate.discord_message_id is None:
            return
        if keep_note:
            note = notes.kept(candidate)
        legend = section_legend(offered)
        if if_out_of_sync and _shows_as_held(candidate, listed, into, legend, emojis):
            return
        text = messages.candidate_embed(
            candidate, offered, suggestion=listed, note=note, decided_into=into, elsewhere=elsewhere
        )
        embed = discord.Embed.from_dict(text)
        if shown is not None and shown.strip() == (embed.description or "").strip():
            await self._keep_note(candidate, note, owed=False)
            return
        channel_id = int(candidate.discord_channel_id or 0) or self.config.channel_id or 0
        if self._holds.left(channel_id):  # sent now, it would be refused too: it waits, as one Discord failed
            if not if_out_of_sync:  # (the background round leaves a note owed as it is)
                await self._keep_note(candidate, note, owed=note is not None)
            return
        try:
            message = await self._edit(channel_id, int(candidate.discord_message_id), embed, message)
        except discord.NotFound as exc:  # the message deleted, or its channel with it (exc.code)
            await self._repost(candidate_id, exc)
            return
        except discord.HTTPException as exc:
            await self._failed(candidate, note, exc, channel_id)
            return
        if blank(message):  # Discord kept it blank all the same: not tried again every round
            await self._keep_note(candidate, note, owed=False)
            self._forbidden(candidate_id, "its embed stays removed")
            return
        self._retries.succeeded(candidate_id)
        self._uneditable.discard(candidate_id)
        await self._offer_approve(candidate, listed, message)
        await asyncio.to_thread(store.update, self.database, candidate_id, discord_shown_status=candidate.status,
                                discord_shown_decided_at=candidate.decided_at,
                                discord_shown_version=candidate.version,
                                discord_shown_suggestion=shown_text(listed), discord_shown_section=into,
                                discord_offers_approve=approvable(listed) if listed is not None else None,
                                discord_shown_legend=legend, discord_note=note,
                                discord_note_owed=False)  # fmt: skip

    async def _edit(
        self, channel_id: int, message_id: int, embed: discord.Embed, message: discord.Message | None
    ) -> discord.Message:
        """The edit itself: of the message as Discord has it when known, else of its ID in its channel."""
        if message is not None:
            return await message.edit(embed=embed, suppress=False, allowed_mentions=NO_MENTIONS)
        partial = self._channel(channel_id or None).get_partial_message(message_id)
        message = await partial.edit(embed=embed, allowed_mentions=NO_MENTIONS)
        if blank(message):  # its embeds suppressed: only an edit of its flags shows them again
            message = await message.edit(embed=embed, suppress=False, allowed_mentions=NO_MENTIONS)
        return message

    async def _offer_approve(
        self, candidate: Candidate, listed: SuggestedSection | None, message: discord.Message
    ) -> None:
        """The bot's ✅ under a message that now shows its suggestion otherwise: there only while ✅ approves into one
        section (`message`: as the edit left it, its reactions with it); no one else's is touched. A message offering
        ✅ again is caught up on (`offered_again`)."""
        if candidate.discord_shown_suggestion == shown_text(listed):
            return  # the suggestion is shown as before, and its reactions are as they were: no call for them
        approve = messages.normalise_emoji(messages.APPROVE_EMOJI)
        own = any(r.me and messages.normalise_emoji(str(r.emoji)) == approve for r in message.reactions)
        if approvable(listed):
            taking_off = self._unremoved.failing(candidate.id)
            self._unremoved.succeeded(candidate.id)  # ✅ approves again: the bot's stays where Discord left it
            if not own:
                await self._react(candidate.id, message, messages.APPROVE_EMOJI)
            if not own or taking_off:
                self.offered_again.append((candidate.id, message.id))
        elif own:
            await self._take_off_approve(candidate.id, message)

    async def _take_off_approve(self, candidate_id: int, message: discord.Message | discord.PartialMessage) -> None:
        """Takes the bot's own ✅ off the message; one Discord failed is tried again by `sync` after the back-off."""
        own_id = self._own_id()
        if own_id is None:
            return
        held = self._holds.left(message.channel.id)
        if held:  # sent now, it would be refused too: tried again once the wait is over
            self._unremoved.put_off(candidate_id, held)
            return
        try:
            await message.remove_reaction(messages.APPROVE_EMOJI, discord.Object(own_id))
        except (discord.Forbidden, discord.NotFound) as exc:  # not allowed, or the message deleted: not tried again
            self._unremoved.succeeded(candidate_id)
            log.warning("discord: cannot take the bot's ✅ off candidate %s's message (%s); it stays as it is",
                        candidate_id, exc)  # fmt: skip
        except discord.HTTPException as exc:
            level = logging.INFO if self._unremoved.failing(candidate_id) else logging.WARNING  # said once
            delay = self._unremoved.failed(candidate_id, asked_wait(exc))
            if self._holds.hold(message.channel.id, exc, f"could not take the bot's ✅ off candidate {candidate_id}'s "
                                "message"):  # fmt: skip
                return
            log.log(level, "discord: could not take the bot's ✅ off candidate %s's message, which no longer offers "
                    "it (trying again in %g s): %s", candidate_id, delay, exc)  # fmt: skip
        else:
            self._unremoved.succeeded(candidate_id)

    async def _retry_take_off(self, candidate_id: int) -> None:
        """The bot's ✅ that Discord failed to take off, whatever the candidate's status now; kept if ✅ approves
        again."""
        async with self._lock:
            candidate = await asyncio.to_thread(store.load, self.database, candidate_id)
            if candidate is None or candidate.discord_state != "posted" or candidate.discord_message_id is None:
                self._unremoved.succeeded(candidate_id)  # its message is gone: a new one gets its reactions anew
                return
            if approvable(await asyncio.to_thread(store.suggestion_now, self.database, candidate.suggested_section)):
                self._unremoved.succeeded(candidate_id)
                return
            channel = self._channel(int(candidate.discord_channel_id or 0) or None)
            await self._take_off_approve(candidate_id, channel.get_partial_message(int(candidate.discord_message_id)))

    async def _failed(self, candidate: Candidate, note: str | None, exc: discord.HTTPException, channel: int) -> None:
        """Discord failed the edit: tried again after its back-off; one it forbids waits for the permission given back,
        or the next start; one it rate-limits holds every edit in the `channel` until the wait is over. The note is owed
        until shown (an edit with no note, for a newer status, leaves none)."""
        await self._keep_note(candidate, note, owed=note is not None)
        # Forbidden, or this text refused (400: AutoMod): it will not be allowed next round either.
        if isinstance(exc, discord.Forbidden) or exc.status == HTTPStatus.BAD_REQUEST:
            self._forbidden(candidate.id, str(exc))
            return
        delay = self._retries.failed(candidate.id, asked_wait(exc))
        if self._holds.hold(channel, exc, f"could not edit the message of candidate {candidate.id}", at_least=delay):
            return
        log.warning("discord: could not edit the message of candidate %s (trying again in %g s): %s",
                    candidate.id, delay, exc)  # fmt: skip

    async def _keep_note(self, candidate: Candidate, note: str | None, *, owed: bool) -> None:
        """The message shows `note` now, or is to (`owed`: Discord failed the edit); None: an edit for a newer status
        left it none. Written only when it changes (a write takes SQLite's lock; the bot edits often)."""
        if (candidate.discord_note, candidate.discord_note_owed) != (note, owed):
            await asyncio.to_thread(
                store.update, self.database, candidate.id, discord_note=note, discord_note_owed=owed
            )

    def _forbidden(self, candidate_id: int, why: str) -> None:
        if candidate_id not in self._uneditable:
            log.warning("discord: may not edit the message of candidate %s (%s); it stays as it is", candidate_id, why)
        self._uneditable.add(candidate_id)

    async def restore(self, candidate_id: int, message: discord.Message) -> None:
        """A moderator removed the embed of the candidate's message: it is edited back (not posted again, which would
        leave two messages whose reactions both decide), with the note it showed (why a reaction did nothing: Discord
        serves a removed embed to no one, the bot included); one Discord fails is tried again by `sync`."""
        if candidate_id in self._uneditable:
            return  # the bot's own edit left it blank: not edited again on each of its echoes
        log.info("discord: the embed of candidate %s's message was removed; putting it back", candidate_id)
        # All under the lock: the note is read once an edit under way has noted its own (the moderator may remove the
        # embed as soon as it shows), and no background round, meeting the row out of step, puts it back without one.
        async with self._lock:
            await asyncio.to_thread(store.update, self.database, candidate_id, discord_shown_status=None)
            await self._show(candidate_id, None, None, message, if_out_of_sync=False, keep_note=True)

    async def on_edited(self, message: discord.Message) -> None:
        """A message of the review channel changed: a candidate's left blank is restored."""
        if message.channel.id != self.config.channel_id or not blank(message):
            return
        candidate_id = await asyncio.to_thread(store.candidate_for_message, self.database, message.id)
        if candidate_id is not None:
            await self.restore(candidate_id, message)

    async def sync(self) -> None:
        """Edits messages decided in another process (the CLI) since, notes owed, pending messages whose suggested
        section (or a section emoji of whose legend) the list names otherwise now, and approved ones whose section it
        names otherwise; those Discord failed to edit wait their back-off, those it forbids the next start. Takes off
        the bot's ✅ Discord failed to take off, once its back-off has passed."""
        for candidate_id in await asyncio.to_thread(notes.owed, self.database):  # none after a decision (notes.kept)
            if candidate_id not in self._uneditable and not self._retries.waiting(candidate_id):
                await self.show(candidate_id, keep_note=True)
        out_of_sync = await asyncio.to_thread(store.out_of_sync, self.database)
        stale = set(await asyncio.to_thread(self._suggestions.stale, self.database))
        stale.update(await asyncio.to_thread(self._decisions.stale, self.database, set(self._uneditable)))
        skipped = self._uneditable.union(self._retries.waiting_keys())
        stale.update(await asyncio.to_thread(self._legends.stale, self.database, skipped))
        stale.difference_update(out_of_sync)
        for candidate_id in [*out_of_sync, *sorted(stale)]:
            if candidate_id not in self._uneditable and not self._retries.waiting(candidate_id):
                await self.show(candidate_id, if_out_of_sync=True, keep_note=True)  # a note stays till a decision
        for candidate_id in self._unremoved.due():
            await self._retry_take_off(candidate_id)
