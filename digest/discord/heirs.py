"""The deciding reaction taken back while another maintainer's of the same meaning is still on the message: that one
decides now, and since it decides as the decision standing already did, the decision is handed over to its author
(`review.handover`) rather than undone and made again, which took the paper out of the list and put it back where its
suggested section is (a hand move lost, the list written twice, a return to pending in the history)."""

from __future__ import annotations

import asyncio

import discord

from digest.clock import utc_now
from digest.discord import store
from digest.discord.members import Members
from digest.discord.reactions import ReactionChoice
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
