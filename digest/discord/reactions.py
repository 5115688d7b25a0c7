"""What a maintainer's reaction under a review message means (✅, ❌, a section's emoji), and the keys that compare it
with a recorded decision. Pure."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from digest.vocab import APPROVE_EMOJI, REJECT_EMOJI, Action, normalise_emoji

BOT_REACTIONS = (APPROVE_EMOJI, REJECT_EMOJI)


@dataclass(frozen=True)
class ReactionChoice:
    action: str  # approve | reject
    section: str | None  # None: the candidate's suggested section


@dataclass(frozen=True)
class SeenReaction:
    """A reaction the bot saw before: what it meant then (its section by the list's name now), and whether its author
    was a maintainer then (only then does it decide)."""

    choice: ReactionChoice
    counted: bool


# (user id, emoji without variants): one reaction on a message
ReactionId = tuple[str, str]


def reaction_key(user_id: object, choice: ReactionChoice, suggested_section: str | None) -> tuple[str, str, str]:
    """What a maintainer's reaction asks for, comparable with `decision_key` of a recorded Discord decision: the
    user, the action and, for an approval, the section (✅ means the suggested one), ignoring case."""
    section = (choice.section or suggested_section or "") if choice.action == Action.APPROVE else ""
    return (str(user_id), choice.action, section.casefold())


def decision_key(actor_id: object, action: str, section: str | None) -> tuple[str, str, str]:
    """A recorded decision in the form of `reaction_key`."""
    return (str(actor_id), action, (section or "").casefold() if action == Action.APPROVE else "")


def reaction_choice(emoji: str, section_emojis: Mapping[str, str]) -> ReactionChoice | None:
    """What a maintainer's reaction means: ✅ approve as suggested, ❌ reject, a section's emoji approve there."""
    wanted = normalise_emoji(emoji)
    if wanted == normalise_emoji(APPROVE_EMOJI):
        return ReactionChoice("approve", None)
    if wanted == normalise_emoji(REJECT_EMOJI):
        return ReactionChoice("reject", None)
    for section, section_emoji in section_emojis.items():
        if normalise_emoji(section_emoji) == wanted:
            return ReactionChoice("approve", section)
    return None
