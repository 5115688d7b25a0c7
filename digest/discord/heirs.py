"""The deciding reaction taken back while another maintainer's of the same meaning is still on the message: that one
decides now, and since it decides as the decision standing already did, the decision is handed over to its author
(`review.handover`) rather than undone and made again, which took the paper out of the list and put it back where its
suggested section is (a hand move lost, the list written twice, a return to pending in the history)."""

from __future__ import annotations

import asyncio

import discord

from digest.clock import utc_now
from digest.discord import replay, store
from digest.discord.members import Members
from digest.discord.reactions import ReactionChoice, decision_key
from digest.review.handover import hand_over
from digest.storage.db import Database


async def handed_over(
    database: Database,
    members: Members,
    taken_back: discord.RawReactionActionEvent,
    candidate_id: int,
    choice: ReactionChoice,
) -> bool:
    """Whether a maintainer's reaction the bot saw on the message, meaning `choice` as the one `taken_back` did, now
    holds the decision that reaction made (False: none does, or the decision no longer stands). Raises
    UncheckedReactionError when Discord cannot say whether its author is a maintainer still."""
    guild_id, user_id = taken_back.guild_id, taken_back.user_id
    seen = await asyncio.to_thread(store.seen_reactions, database, candidate_id)
    for (other, _emoji), reaction in seen.items():
        if other == str(user_id) or not reaction.counted or reaction.choice != choice or not other.isdigit():
            continue
        heir = await members.maintainer(guild_id, int(other), other, candidate_id, unchecked_raises=True, seen=True)
        if heir is not None:
            return await asyncio.to_thread(hand_over, database, candidate_id, str(user_id), heir, utc_now())
    return False


async def handed_over_while_away(
    database: Database, candidate_id: int, todo: replay.Plan, suggested: str | None
) -> bool:
    """Catching up: whether the deciding reaction, taken back while the bot was away, left its decision to the
    reaction that decides now, asking for the same (✅: the `suggested` section), handed over to its author."""
    if todo.undo is None or todo.choice is None:
        return False
    (action, section), heir = todo.choice
    if decision_key(heir.id, action, section or suggested)[1:] != todo.undo.key[1:]:
        return False
    return await asyncio.to_thread(hand_over, database, candidate_id, todo.undo.key[0], heir, utc_now())
