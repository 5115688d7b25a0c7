"""The domain's words, a leaf: candidate statuses, review actions, decision channels, poll outcomes, the weekly
digest's editions and the reactions that decide in Discord.

Each is a StrEnum, so a member equals its string: the values stored in the database stay what they were.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Literal, get_args


class Status(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


class Action(StrEnum):
    APPROVE = "approve"
    REJECT = "reject"
    REVERT = "revert"


class Channel(StrEnum):
    DISCORD = "discord"
    WEB = "web"
    FEED = "feed"
    EMAIL = "email"  # the maintainers' weekly email: its approval links, as the private feed's, open /approve
    CLI = "cli"


SHARED_MAINTAINER = "web maintainer"  # who the web's single DIGEST_ADMIN_TOKEN signs in (a named token has no space)
# Who a pending candidate is recorded as approved by when the list's text brought its paper in (review/listed.py): a
# `digest list import`, or a publish pulling the repository's file. Each says how already: no channel after it.
LIST_IMPORT = "list import"
PUBLISH_PULL = "publish pull"


def link_actor(channel: Channel) -> str:
    """Who a decision made through a signed approval link is recorded as: 'feed approval link', 'email ...'."""
    return f"{channel} approval link"


def through(actor: str, channel: str) -> str:
    """The channel as said after who decided, ' via discord'; nothing after a name that says it already, an approval
    link's ('feed approval link via feed') or the shared web sign-in's ('web maintainer via web')."""
    says_it = actor == f"{channel} approval link" or (channel == Channel.WEB and actor == SHARED_MAINTAINER)
    says_it = says_it or actor in (LIST_IMPORT, PUBLISH_PULL)
    return "" if says_it else f" via {channel}"


def decided_by(actor: str, channel: str) -> str:
    """Who decided and through which channel, each said once: 'ann via discord', 'feed approval link', 'web
    maintainer'."""
    return actor + through(actor, channel)


class PollOutcome(StrEnum):
    OK = "ok"
    PARTIAL = "partial"
    FAILED = "failed"
    INTERRUPTED = "interrupted"


class Notice(StrEnum):
    """What a poll tells the maintainers of a paper in the list that arXiv changed (arxiv.notices keeps it once)."""

    WITHDRAWN = "withdrawn"
    RETITLED = "retitled"
    RESTORED = "restored"  # a version not withdrawn after a withdrawn one told: ends that notice (review.list_notices)


# The weekly digest's editions. Readers get the week's new papers; maintainers also what waits for review, the second
# tier (with signed approval links) and the decision numbers (see weekly.contents).
Edition = Literal["readers", "maintainers"]
EDITIONS: tuple[Edition, ...] = get_args(Edition)


READER_SOURCE = "suggested by a reader"  # the candidate's source feed when a reader suggested it on /suggest
ADDED_SOURCE = "digest add"  # ... when a maintainer added it by hand (`digest add`, the field on /review)
BACKFILL_SOURCE = "arXiv API: "  # ... when a backfill found it, followed by the query
REPLAY_SOURCE = "replay"  # ... when decisions replayed into a new data folder stored it
# The sources of the candidates no poll found: `digest candidates` shows each as a find of its own.
NOT_POLLED_SOURCES = (READER_SOURCE, ADDED_SOURCE, REPLAY_SOURCE)


# The reactions that decide in Discord besides a section's own ([discord.section_emojis], which must differ from them).
APPROVE_EMOJI = "✅"
REJECT_EMOJI = "❌"
# The emoji variation selector, and the five skin-tone modifiers Discord's picker adds to a hand in the user's tone.
_EMOJI_VARIANTS = re.compile("[\ufe0f\U0001f3fb-\U0001f3ff]")


def normalise_emoji(emoji: str) -> str:
    """Discord may send an emoji with or without the variation selector, and a hand in any skin tone; compare
    without them."""
    return _EMOJI_VARIANTS.sub("", emoji)


# The `extra` key of a job's outcome line in the log: the one INFO line a quiet `digest run --once` (one poll, for
# cron) still shows, and the one `digest publish` leaves out (it prints the outcome itself).
OUTCOME_LINE = "outcome_line"
