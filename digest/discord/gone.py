"""What becomes of a candidate whose Discord message is gone: deleted on its own (a pending one is posted again), or
with the review channel (pending ones wait on the review page for a channel); a decided one is never posted again."""

from __future__ import annotations

import asyncio
import logging

import discord
from sqlalchemy import select

from digest.storage.db import Database
from digest.storage.models import PENDING, Candidate

log = logging.getLogger("digest.discord")

# discord.NotFound.code: the channel is gone (its messages with it), or the message alone.
UNKNOWN_CHANNEL = 10003
# A decided candidate whose message is gone: nothing to post (returned to pending, it is posted again as news).
GONE = "gone"
# What the message of a candidate no longer in the channel said: shown anew by the post that replaces it.
_UNSHOWN = {"discord_message_id": None, "discord_shown_status": None, "discord_shown_decided_at": None,
            "discord_shown_version": None}  # fmt: skip


def _forget(candidate: Candidate) -> bool:
    """Its message gone: a pending candidate is posted again (True), a decided one is not."""
    candidate.discord_state = "repost" if candidate.status == PENDING else GONE
    for key, value in _UNSHOWN.items():
        setattr(candidate, key, value)
    return candidate.status == PENDING


def forget_message(database: Database, candidate_id: int) -> bool:
    """The candidate's message was deleted: True when it is to be posted again (it is still pending)."""
    with database.transaction() as session:
        candidate = session.get(Candidate, candidate_id)
        return candidate is not None and _forget(candidate)


def forget_channel(
    database: Database, channel_id: int | None, candidate_id: int | None = None
) -> tuple[list[int], int]:
    """The channel (`None`: the one `candidate_id` was posted in) is gone with every message in it: the pending
    candidates posted there (posted when a channel is configured again) and how many decided ones went with it."""
    with database.transaction() as session:
        if channel_id is None:
            candidate = session.get(Candidate, candidate_id)
            channel_id = int(candidate.discord_channel_id or 0) if candidate is not None else 0
        shown = session.scalars(
            select(Candidate).where(
                Candidate.discord_state == "posted", Candidate.discord_channel_id == str(channel_id)
            )
        )
        forgotten = [(candidate.id, _forget(candidate)) for candidate in shown]
    pending = [candidate_id for candidate_id, waits in forgotten if waits]
    if forgotten:
        log.info("discord: channel %s was deleted with the messages of %d pending candidates (they wait on the review "
                 "page, posted once channel_id names a channel the bot can post in) and %d decided ones (not posted "
                 "again)", channel_id, len(pending), len(forgotten) - len(pending))  # fmt: skip
    return pending, len(forgotten) - len(pending)


async def message_gone(database: Database, candidate_id: int, exc: discord.NotFound | None) -> list[int]:
    """Discord has the candidate's message no more (`exc`: its answer to an edit or a read; None: deleted, as the
    gateway said): the ids of the pending candidates to post again, its own among them while it is pending."""
    if exc is not None and exc.code == UNKNOWN_CHANNEL:
        return (await asyncio.to_thread(forget_channel, database, None, candidate_id))[0]
    if await asyncio.to_thread(forget_message, database, candidate_id):
        log.info("discord: the message of candidate %s was deleted; it will be posted again", candidate_id)
        return [candidate_id]
    log.info("discord: the message of decided candidate %s was deleted; it is not posted again", candidate_id)
    return []
