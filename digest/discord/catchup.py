"""Reactions as they come, and catching up after the bot was away: what each posted message's reactions ask for that
the decision log has not seen (digest.discord.replay decides; this shell fetches the message and makes the decisions).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Protocol

import aiohttp
import discord
from sqlalchemy.exc import SQLAlchemyError

from digest.discord import decided, heirs, held, history, messages, reactions, replay, store
from digest.discord.members import READ_PERMISSIONS, Members, UncheckedReactionError
from digest.discord.owed import Owed
from digest.discord.rate_limits import ChannelHolds, asked_wait
from digest.discord.reacting import OwnReactions
from digest.discord.replay import Choice, Key
from digest.discord.retries import Retries
from digest.discord.showing import MessageEditor, blank
from digest.review.rules import Actor
from digest.storage.db import Database
from digest.vocab import Action

log = logging.getLogger("digest.discord")

# What a background round may meet and live through: Discord or the network failing (a member lookup among them), the
# database failing.
ROUND_ERRORS = (discord.HTTPException, aiohttp.ClientError, OSError, SQLAlchemyError, UncheckedReactionError)

READING = "reading"  # the key of catching up in the link's troubles


class Decide(Protocol):
    """The bot's decision; `shown`: the message's text now, which a note it already says is not edited into again;
    `superseded`: a reaction made before the decision that stands, recorded as not applied."""

    async def __call__(
        self,
        candidate_id: int,
        action: str,
        actor: Actor,
        section: str | None,
        *,
        shown: str | None = None,
        superseded: bool = False,
    ) -> None: ...


class CatchUp:
    def __init__(
        self,
        database: Database,
        invocation: str,
        members: Members,
        channel: Callable[[], discord.PartialMessageable],
        decide: Decide,
        repost: Callable[[int, discord.NotFound], Awaitable[None]],
        editor: MessageEditor,
        reactions: OwnReactions,
        retry_after: float,
        trouble: Callable[[str, str | None], None],
        owed: Owed,
        holds: ChannelHolds,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.database = database
        self._invocation = invocation  # `digest --config F --data-dir D`: a hint run as printed acts on this database
        self.members = members
        self._channel = channel
        self._decide = decide
        self._repost = repost
        self._editor = editor  # a line on the message (why nothing was decided), an embed a moderator removed
        self._reactions = reactions  # the bot's own ✅ and ❌, one a moderator cleared put back
        self._trouble = trouble  # what keeps the bot from its work, said once and shown on /healthz
        # Messages whose catching up failed (Discord or the database), tried again from the background loop; `owed`
        # keeps them in the database as well, so that a restart catches up on them whatever their paper's age.
        self.retries: Retries[tuple[int, int]] = Retries(retry_after, clock=clock)
        self.owed = owed
        self._holds = holds  # a channel Discord rate-limited is not read either (its limit covers reads) till it allows
        # Live reactions whose deciding waits for Discord to say who made them: candidate -> (user id, emoji) -> what
        # it means and the id of the candidate's last decision when it came, so one decided meanwhile by a later
        # reaction is not overturned by it (the later reaction stands, as when both are decided in their turn).
        # Kept in the database as well (`held`), read back by `run`: the order holds after a restart too.
        self._held: held.Held = {}
        self._messages = history.Reading(channel)  # those of the round under way (`_message`)

    async def run(self, posted: list[tuple[int, int]]) -> None:
        """Each (candidate, message) in turn; one that fails waits for `retry_due` and holds up none of the others.
        Those waiting for a retry are done now too: a reaction on a paper decided before the last fortnight, whose
        author's lookup failed, is in no other list, and dropping its wait lost it."""
        for candidate_id, waiting_reactions in (await asyncio.to_thread(held.read, self.database)).items():
            for reaction, waiting in waiting_reactions.items():
                self._held.setdefault(candidate_id, {}).setdefault(reaction, waiting)
        listed = set(posted)
        posted = [*posted, *(key for key in self.retries.waiting_keys() if key not in listed)]
        self.retries.clear()
        await self._round(posted)

    async def retry_due(self) -> None:
        await self._round(self.retries.due())

    async def _round(self, keys: list[tuple[int, int]]) -> None:
        """Each (candidate, message) of `keys` in turn, their messages read from the channel's history in bulk (a round
        put off by a hold is every recent message); while the channel is held each read would be refused too, and
        counted: the round waits the hold out (`retry_due`)."""
        wait = self._holds.left(self._channel().id)
        if wait:
            for key in keys:
                self.retries.put_off(key, wait)
            return
        try:
            await self._messages.begin({message_id for _candidate, message_id in keys})
            for candidate_id, message_id in keys:
                await self.replay_or_retry(candidate_id, message_id)
        finally:
            self._messages.end()

    async def replay_or_retry(self, candidate_id: int, message_id: int) -> None:
        """`replay`; when Discord or the database fails, or the channel is held, again later from `retry_due`."""
        wait = self._holds.left(self._channel().id)
        if wait:  # read now, it would be refused too: caught up on once the wait is over
            self.retries.put_off((candidate_id, message_id), wait)
            self.owed.note(message_id)
            return
        try:
            await self.replay(candidate_id, message_id)
            await self.owed.settle((message_id,))
        except discord.Forbidden as exc:  # a permission taken away: one line for the channel, not one per message
            delay = self.retries.failed((candidate_id, message_id))
            await self.owed.add(message_id)
            if not READ_PERMISSIONS & set(self.members.missing_permissions()):  # else the start's check named it
                self._trouble(READING, f"cannot read the messages of review channel {self._channel().id}: {exc}")
            log.info("discord: catching up on candidate %s refused (trying again in %g s)", candidate_id, delay)
        except ROUND_ERRORS as exc:
            delay = self.retries.failed((candidate_id, message_id), asked_wait(exc))
            await self.owed.add(message_id)
            log.warning(
                "discord: catching up on candidate %s failed (trying again in %g s): %s", candidate_id, delay, exc
            )
        else:
            self.retries.succeeded((candidate_id, message_id))
            self._trouble(READING, None)

    async def apply(
        self, payload: discord.RawReactionActionEvent, choice: reactions.ReactionChoice | None, *, added: bool
    ) -> None:
        """A reaction as it comes (`choice`: its emoji's meaning) decides; taken back, undoes. Raises ROUND_ERRORS."""
        candidate_id = await asyncio.to_thread(store.candidate_for_message, self.database, payload.message_id)
        if candidate_id is None:
            return
        if choice is not None:
            choice = await asyncio.to_thread(store.listed_choice, self.database, choice)
        reaction = (str(payload.user_id), messages.normalise_emoji(str(payload.emoji)))
        if added:
            if choice is None:
                return
            try:
                actor = await self.members.maintainer(
                    payload.guild_id, payload.user_id, str(payload.user_id), candidate_id, payload.member,
                    unchecked_raises=True, just_made=True,
                )  # fmt: skip
            except UncheckedReactionError as exc:
                history = await asyncio.to_thread(store.reaction_history, self.database, candidate_id)
                last = history[-1].id if history else 0
                self._held.setdefault(candidate_id, {})[reaction] = (choice, last)
                await asyncio.to_thread(held.hold, self.database, candidate_id, reaction, choice, last)
                # Catching up on its message reads it again (and decides by it) once Discord can say, with back-off
                # while it runs: not at the next start only. The reaction is not noted as seen, so it decides once.
                # (An author still unknown then has left the server: their reaction is noted as no maintainer's.)
                delay = self.retries.failed((candidate_id, payload.message_id))
                await self.owed.add(payload.message_id)  # and after a restart, however old its paper's decision
                log.warning("discord: %s (trying again in %g s)", exc, delay)
                return
            # Whether its author is a maintainer now, when it is made, is what it counts as for good.
            seen = {reaction: reactions.SeenReaction(choice, actor is not None)}
            await asyncio.to_thread(store.note_reactions, self.database, candidate_id, seen, anew=True)
            # Its decision stands already: catching up read it off the message before its event came.
            if actor is not None and not await asyncio.to_thread(
                store.deciding_actor, self.database, candidate_id, payload.user_id, choice
            ):
                await self._decide(candidate_id, choice.action, actor, choice.section)
            return
        # Taken back, it undoes what it meant when made (the config may give its emoji to another section since).
        self._held.get(candidate_id, {}).pop(reaction, None)
        earlier = (await asyncio.to_thread(store.seen_reactions, self.database, candidate_id)).get(reaction)
        choice = earlier.choice if earlier is not None else choice
        if choice is None:  # an emoji that means nothing here, and meant nothing when made
            return
        if await asyncio.to_thread(decided.forget_reaction, self.database, candidate_id, reaction):  # it was named
            await self._editor.show(candidate_id, keep_note=True)
        decider = await asyncio.to_thread(store.deciding_actor, self.database, candidate_id, payload.user_id, choice)
        # Only a maintainer's reaction counts, taken back too: a former maintainer's undoes nothing. One Discord cannot
        # say is a maintainer's (a failed lookup) raises: the background loop catches up on it once Discord can say.
        if decider and await self.members.maintainer(
            payload.guild_id, payload.user_id, decider, candidate_id, unchecked_raises=True
        ):
            if await heirs.handed_over(self.database, self.members, payload, candidate_id, choice):
                return await self._editor.show(candidate_id)  # another maintainer's reaction holds it now
            await self._decide(candidate_id, Action.REVERT, Actor(decider, str(payload.user_id), "discord"), None)
        elif not await asyncio.to_thread(store.is_pending, self.database, candidate_id):
            return
        # Another maintainer's reaction decides now, as after a restart: after an undo, or one of two disagreeing.
        await self.replay_or_retry(candidate_id, payload.message_id)

    async def replay(self, candidate_id: int, message_id: int) -> None:
        """A reaction taken back undoes its decision; a new one decides."""
        message = await self._message(candidate_id, message_id)
        candidate = await asyncio.to_thread(store.load, self.database, candidate_id)
        if message is None or candidate is None:
            return
        history = await asyncio.to_thread(store.reaction_history, self.database, candidate_id)
        seen = replay.seen_reactions(history)
        # ✅ approves into the list's name for the suggested section: the name the decision log holds
        now = await asyncio.to_thread(store.suggestion_now, self.database, candidate.suggested_section)
        listed = now.label if now is not None else None
        await self._reactions.put_back(candidate_id, message, listed is not None)
        names = await asyncio.to_thread(store.listed_names, self.database, self.members.config.section_emojis)
        suggested = listed or candidate.suggested_section
        earlier = await asyncio.to_thread(store.seen_reactions, self.database, candidate_id)
        found = await self.members.reactions_on(message, candidate_id, suggested, names, earlier)
        await asyncio.to_thread(store.note_reactions, self.database, candidate_id, found.unseen, found.ids)
        present, there = found.present, found.there
        standing = seen.standing
        if standing is not None and standing.key not in there and standing.unsure:
            # An /add made before the upgrade is logged as a reaction's: its reaction was never there to take back.
            log.info("discord: %s", replay.kept_before_the_upgrade(candidate_id, candidate.status, self._invocation))
            await asyncio.to_thread(store.settle_unsure, self.database, standing.id)  # said once, not at every start
            there = {*there, standing.key}
        elif (
            standing is not None
            and standing.key not in there
            and not await self.members.still_maintainer(standing.key[0], standing.actor, candidate_id)
        ):
            there = {*there, standing.key}  # a former maintainer's reaction taken back undoes nothing either
        todo = replay.plan(candidate.status, seen, present, there, self._held_keys(candidate_id, suggested))
        await self._record_superseded(candidate_id, todo.superseded)
        if await heirs.handed_over_while_away(self.database, candidate_id, todo, suggested):
            return await self._editor.show(candidate_id)  # another maintainer's reaction holds it now
        if todo.undo is not None:
            log.info("discord: the reaction that decided candidate %s was taken back while away", candidate_id)
            await self._decide(candidate_id, Action.REVERT, Actor(todo.undo.actor, todo.undo.key[0], "discord"), None)
        if todo.choice is not None:
            # A refused reaction is tried again at each start: its note is not edited in again when already shown (the
            # message as fetched; the agreeing reactions come after the first's edit).
            shown = message.embeds[0].description if message.embeds else None
            for (action, section), actor in (todo.choice, *todo.agreeing):
                await self._decide(candidate_id, action, actor, section, shown=shown)
                shown = None
        elif todo.conflict and replay.decided_elsewhere(candidate.status, history):
            # No reaction decides over it (Reviewer's first_stands): each is recorded and told so, none to take back.
            for (action, section), actor in todo.conflict.items():
                await self._decide(candidate_id, action, actor, section)
        elif todo.conflict:
            wishes = [(action, section, actor.name) for (action, section), actor in todo.conflict.items()]
            note = messages.conflict_note(wishes)
            # The message says so already (an earlier start): said once per message, not at every restart.
            if any((embed.description or "").startswith(note) for embed in message.embeds):
                return
            log.warning("discord: conflicting reactions on candidate %s while away; left pending", candidate_id)
            await self._editor.show(candidate_id, note)

    def _held_keys(self, candidate_id: int, suggested: str | None) -> dict[Key, int]:
        """The candidate's reactions whose deciding waited for a member lookup, as `replay.plan` takes them."""
        return {
            reactions.reaction_key(user_id, choice, suggested): last
            for (user_id, _emoji), (choice, last) in self._held.get(candidate_id, {}).items()
        }

    async def _record_superseded(self, candidate_id: int, superseded: tuple[tuple[Choice, Actor], ...]) -> None:
        """Held reactions older than the decision that stands: recorded as not applied, as in their turn."""
        for (action, section), actor in superseded:
            log.info("discord: %s's reaction on candidate %s came before the decision that stands; not applied",
                     actor.name, candidate_id)  # fmt: skip
            await self._decide(candidate_id, action, actor, section, superseded=True)
        if candidate_id in self._held:  # each decides now, or is recorded as come too late
            await asyncio.to_thread(held.release, self.database, candidate_id)
            del self._held[candidate_id]

    async def _message(self, candidate_id: int, message_id: int) -> discord.Message | None:
        """The candidate's message; None when it is gone (it is posted again). One whose embed a moderator removed
        while the bot was away (or whose edit back Discord failed) is put back."""
        try:
            message = await self._messages.message(message_id)
        except discord.NotFound as exc:  # the message deleted, or its channel with it (exc.code)
            await self._repost(candidate_id, exc)
            return None
        if blank(message):
            await self._editor.restore(candidate_id, message)
        return message
