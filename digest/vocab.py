"""The domain's words, a leaf: candidate statuses, review actions, decision channels and poll outcomes.

Each is a StrEnum, so a member equals its string: the values stored in the database stay what they were.
"""

from __future__ import annotations

from enum import StrEnum


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
    CLI = "cli"


class PollOutcome(StrEnum):
    OK = "ok"
    PARTIAL = "partial"
    FAILED = "failed"
    INTERRUPTED = "interrupted"
