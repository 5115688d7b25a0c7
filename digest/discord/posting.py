"""Posting candidates into the review channel: best first up to the cap, once per poll wherever it ran, and again
with back-off when Discord failed a post (digest.discord.retries)."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
from collections.abc import Callable
from http import HTTPStatus

import discord
from sqlalchemy.exc import SQLAlchemyError

from digest.clock import utc_now
from digest.config import Settings
from digest.discord import messages, store
from digest.discord.connection import NO_MENTIONS
from digest.discord.decided import shown_now
from digest.discord.legend import section_legend
from digest.discord.members import POST_PERMISSIONS
from digest.discord.messages import PostReport
from digest.discord.notice import HISTORY_LOOKED_AT, WaitingNotice
from digest.discord.rate_limits import ChannelHolds, asked_wait
from digest.discord.reacting import OwnReactions
from digest.discord.retries import Retries
from digest.discord.suggested import approvable, shown_text
from digest.discord.waiting import review_page
from digest.review.rules import SuggestedSection
from digest.sizes import counted
from digest.storage.db import Database
from digest.storage.failures import failure_line
from digest.storage.models import PENDING, Candidate

log = logging.getLogger("digest.discord")

POSTING = "posting"  # the key of posting runs in the retries


class Poster:
    def __init__(
        self,
        settings: Settings,
        database: Database,
        ready: Callable[[], bool],
        channel: Callable[[], discord.PartialMessageable],
        own_id: Callable[[], int | None],
        retry_after: float,
        trouble: Callable[[str, str | None], None],
        holds: ChannelHolds,
        reactions: OwnReactions,
        missing: Callable[[], list[str]],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.settings = settings
        self.config = settings.discord
        self.database = database
        self._ready = ready
        self._channel = channel
        self._own_id = own_id  # the bot's user id
        # (candidate, message) found sent but not recorded: reactions may be on it already, for catching up on
        self.found: list[tuple[int, int]] = []
        self._trouble = trouble
        self._missing = missing  # the permissions the bot's check says it lacks in the channel (named there)
        # Candidates a posting run has already weighed (posted, or left to wait under the cap); one that is not
        # here was found since, by this process or another one, and calls for a run.
        self._offered: set[int] = set()
        self._unoffered_before: set[int] = set()
        self._retries: Retries[str] = Retries(retry_after, clock=clock)  # after a failed post, the next try waits
        # Channels whose wait for a 429 is not over: no post is sent there before it is, whoever asks (a poll).
        self._holds = holds
        self._reactions = reactions
        self._asked = 0.0  # the seconds Discord asked the bot to wait, by the last post it failed
        self._notice_owed = False  # a run posted while the channel was held: the waiting notice goes out after
        self._notice = WaitingNotice(settings, channel, own_id, holds)
        self._lock = asyncio.Lock()
        self._refused = False  # the channel refuses posts (403, 404): reported to /healthz, not a blip

    async def retry_refused(self) -> None:
        """At the bot's start: what Discord refused while it last ran (AutoMod, a limit) may be allowed now."""
        try:
            await asyncio.to_thread(store.retry_refused, self.database)
        except SQLAlchemyError as exc:
            said = failure_line(exc, str(self.database.engine.url))
            log.warning("discord: cannot read the candidates Discord refused (tried at the next start): %s", said)

    def forget(self, candidate_id: int) -> None:
        """Its message is gone: the candidate calls for a posting run again."""
        self._offered.discard(candidate_id)

    async def post_pending(self) -> PostReport:
        """Posts unposted (and deleted) pending candidates, best score first, up to the cap; notes how many wait."""
        async with self._lock:
            chosen, left = await asyncio.to_thread(
                store.candidates_to_post, self.database, self.config.post_cap_per_run
            )
            if not self._ready():
                log.info("discord: not connected; %s wait to be posted", counted(len(chosen) + len(left), "candidate"))
                return PostReport(0, len(chosen) + len(left), 0)
            if self._holds.left(self._channel().id):  # a post now would be refused again, and counted
                log.info("discord: Discord's rate limit is not over; %s wait to be posted",
                         counted(len(chosen) + len(left), "candidate"))  # fmt: skip
                return PostReport(0, len(chosen) + len(left), 0)
            posted = failed = decided = 0
            for chosen_then in chosen:
                if self._holds.left(self._channel().id):  # a reaction there was rate-limited: the rest wait it out
                    break
                # Read again: while the run waited on Discord (a slow post, its retries) a maintainer may have decided
                # it on the web; a decided candidate is not posted (nor offered: pending again, it calls for a run).
                candidate = await asyncio.to_thread(store.load, self.database, chosen_then.id)
                if candidate is None or candidate.status != PENDING:
                    decided += 1
                    continue
                sent = await self._post(candidate)
                if sent is None:  # Discord refuses this message whatever the retry: it waits on the review page
                    self._offered.add(candidate.id)
                elif sent:
                    posted += 1
                    self._offered.add(candidate.id)
                else:
                    failed += 1
                    break  # Discord keeps failing after discord.py's own retries: the rest are tried again later
            # Those over the cap wait for the next run; those not posted are tried again by the background loop.
            self._offered.update(left)
            unposted = len(chosen) - posted - decided
            held = self._holds.left(self._channel().id)
            if failed or (held and unposted):
                delay = self._retries.failed(POSTING, max(self._asked, held))
                level = logging.INFO if self._refused else logging.WARNING  # a refusal was said once already
                if not held:  # a rate limit's line said when the bot posts again
                    log.log(level, "discord: %s not posted; trying again in %g s", counted(unposted, "candidate"),
                            delay)  # fmt: skip
            else:
                self._retries.succeeded(POSTING)
            waiting = len(left) + unposted
            owed = bool(posted) or self._notice_owed
            if waiting and not (owed or failed or held):  # one a moderator deleted is said again: candidates wait
                owed = await self._notice.missing()
            self._notice_owed = bool(waiting) and owed
            if (self._notice_owed or not waiting) and not held:
                await self._notice_waiting(waiting)
            log.info("discord: posted %s, %d wait on the review page", counted(posted, "candidate"), waiting)
            return PostReport(posted, waiting, failed)

    async def notice_owed(self) -> None:
        """The waiting notice a run could not post while the channel was held, posted once the wait is over if
        candidates still wait on the review page; a run due to post (candidates not offered yet) posts it itself."""
        if not self._notice_owed or not self._ready() or self._holds.left(self._channel().id):
            return
        async with self._lock:
            waiting = await asyncio.to_thread(store.ids_to_post, self.database)
            if not self._notice_owed or waiting - self._offered:
                return
            await self._notice_waiting(len(waiting))

    async def _notice_waiting(self, waiting: int) -> None:
        """The channel's waiting notice says how many candidates wait on the review page; none when none do (an earlier
        one taken down); owed again when the channel is held."""
        self._notice_owed = False
        if waiting:
            self._notice_owed = not await self._notice.say(waiting)
        elif self._notice.may_stand:
            await self._notice.take_down()

    async def settle_decided(self) -> None:
        """Candidates decided elsewhere while Discord failed their post, the next try being for pending ones only: a
        message Discord kept behind its 5xx is recorded, so it is edited to show the decision (MessageEditor.sync)
        and its reactions are caught up on; else they are not posted at all."""
        if self._retries.waiting(POSTING) or self._holds.left(self._channel().id):  # (the channel's history is read)
            return
        async with self._lock:
            for candidate in await asyncio.to_thread(store.decided_while_sending, self.database):
                try:
                    found = await self._sent_before(candidate.id)
                except discord.HTTPException as exc:
                    delay = self._retries.failed(POSTING, asked_wait(exc))
                    log.warning("discord: cannot look for the message of decided candidate %s (trying again in %g s): "
                                "%s", candidate.id, delay, exc)  # fmt: skip
                    return
                if found is None:  # pending again one day, it is posted then
                    await asyncio.to_thread(store.update, self.database, candidate.id, discord_state="unposted")
                    continue
                listed = await asyncio.to_thread(store.suggestion_now, self.database, candidate.suggested_section)
                await self._record(candidate, found, listed)
                self.found.append((candidate.id, found.id))

    async def _post(self, candidate: Candidate) -> bool | None:
        """Whether Discord took the candidate's message; None when it refuses that message itself (400: AutoMod, a
        limit), which is marked so and not sent again before the bot's next start."""
        # As an edit would show it (a repost says what the message it replaces said: who returned it to pending), but
        # for the reactions it overruled: they were on the message replaced, and the new one has none to take off.
        _, listed, _, emojis, elsewhere = await asyncio.to_thread(
            shown_now, self.database, candidate.id, self.config.section_emojis
        )
        elsewhere = dataclasses.replace(elsewhere, overruled=()) if elsewhere is not None else None
        embed = messages.candidate_embed(candidate, emojis, suggestion=listed, elsewhere=elsewhere)
        before = candidate.discord_state
        self._asked = 0.0
        try:
            if candidate.discord_state == store.SENDING:  # a process died while posting it: Discord may have it
                found = await self._sent_before(candidate.id)
                if found is not None:
                    await self._record(candidate, found, listed)
                    self.found.append((candidate.id, found.id))
                    return True
            # The intent first: a process killed once Discord has the message, before it is recorded, is caught above.
            nonce = await asyncio.to_thread(store.mark_sending, self.database, candidate.id)
            message = await self._channel().send(
                embed=discord.Embed.from_dict(embed), allowed_mentions=NO_MENTIONS, nonce=nonce
            )
        except (discord.Forbidden, discord.NotFound) as exc:  # a deleted channel, a lost permission: not a blip
            await asyncio.to_thread(store.update, self.database, candidate.id, discord_state=before)  # Discord said no
            self._refused = True
            said = f"cannot post in review channel {self.config.channel_id}: {exc}; candidates wait on the review page"
            if isinstance(exc, discord.Forbidden) and POST_PERMISSIONS & set(self._missing()):  # the check names it
                log.info("discord: %s", said)
            else:
                self._trouble(POSTING, f"{said}: {review_page(self.settings.web.base_url)}")
            return False
        except discord.HTTPException as exc:
            self._asked = asked_wait(exc)
            if exc.status == HTTPStatus.BAD_REQUEST:  # this message, not the channel or Discord: refused again
                log.warning("discord: Discord refused the message of candidate %s (%s); it waits on the review page "
                            "(tried again when the bot next starts)",
                            candidate.id, exc)  # fmt: skip
                await asyncio.to_thread(store.update, self.database, candidate.id, discord_state=store.REFUSED)
                return None
            if exc.status < HTTPStatus.INTERNAL_SERVER_ERROR:  # a 5xx may come after Discord stored the message: it
                # stays "sending", so the next try looks in the channel first (a new nonce would not be deduped)
                await asyncio.to_thread(store.update, self.database, candidate.id, discord_state=before)
            if not self._holds.hold(self._channel().id, exc, f"could not post candidate {candidate.id}"):
                log.warning("discord: could not post candidate %s: %s", candidate.id, exc)
            return False
        self._refused = False
        self._trouble(POSTING, None)
        await self._record(candidate, message, listed, section_legend(emojis))
        return True

    async def _record(
        self, candidate: Candidate, message: discord.Message, listed: SuggestedSection | None, legend: str | None = None
    ) -> None:
        """Marked posted only now that Discord has accepted the message; `legend`: it shows the candidate as it stands,
        its suggested section as `listed`, its section emojis so (else, None: one sent before the bot last stopped, it
        is edited to)."""
        shown = legend is not None
        await asyncio.to_thread(
            store.update,
            self.database,
            candidate.id,
            discord_channel_id=str(message.channel.id),
            discord_message_id=str(message.id),
            discord_state="posted",
            discord_posted_at=utc_now(),
            discord_shown_status=candidate.status if shown else None,
            discord_shown_decided_at=candidate.decided_at if shown else None,
            discord_shown_version=candidate.version if shown else None,
            discord_shown_suggestion=shown_text(listed) if shown else None,
            discord_offers_approve=approvable(listed) if shown and listed is not None else None,
            discord_shown_legend=legend,
            discord_shown_section=None,  # a pending candidate's message: it went into no section
            discord_note=None,  # a message of its own: no note of the message it may replace (deleted, gone)
            discord_note_owed=False,
        )
        await self._reactions.add_as_listed(candidate.id, message, approvable(listed))

    async def _sent_before(self, candidate_id: int) -> discord.Message | None:
        """The candidate's message among the channel's newest, when a process that was posting it died before it was
        recorded: the bot's own, its embed's footer naming the candidate (no text from arXiv can write a footer)."""
        marker = f"Candidate {candidate_id} ·"
        own = self._own_id()
        try:
            async for message in self._channel().history(limit=HISTORY_LOOKED_AT):
                if message.author.id == own and any((e.footer.text or "").startswith(marker) for e in message.embeds):
                    log.info("discord: candidate %s was posted before the bot last stopped (message %s); not posted "
                             "again", candidate_id, message.id)  # fmt: skip
                    return message
        except discord.Forbidden as exc:  # without Read Message History, posting it again is all the bot can do
            log.warning("discord: cannot look for the message of candidate %s in the channel (%s); posting it again "
                        "(give the bot Read Message History to avoid a duplicate)", candidate_id, exc)  # fmt: skip
        return None

    async def post_found(self) -> PostReport | None:
        """A posting run when candidates were found since the last one, by any process, and finding has stopped:
        no poll is running and nothing new came since the previous round (a backfill adds candidates page by
        page). So each poll, wherever it ran, gets one run and its cap. Once nothing waits, the waiting notice goes."""
        waiting = await asyncio.to_thread(store.ids_to_post, self.database)
        if not waiting and self._notice.may_stand and not self._holds.left(self._channel().id):
            async with self._lock:  # all decided (on the web, say): the notice is untrue
                await self._notice_waiting(0)
        unoffered = waiting - self._offered
        settled = unoffered == self._unoffered_before
        self._unoffered_before = unoffered
        if not unoffered or not settled or self._retries.waiting(POSTING):
            return None
        if await asyncio.to_thread(store.poll_running, self.database, utc_now()):
            return None
        return await self.post_pending()
