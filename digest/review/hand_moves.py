"""Approving again a paper a maintainer moved by hand since its approval (the list edited, or the edit pulled from its
git repository): the hand move is never undone unasked. Without a section, or into the section the list holds it in
now, nothing changes and the answer says where it is and since when; into another section it moves, the answer saying
from where to where."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from digest.config.invocation import noted
from digest.review.applying import asked_label, outcome_of
from digest.review.rules import Actor, Outcome, Standing
from digest.review.where_now import moved_by_hand
from digest.storage.models import Candidate
from digest.vocab import Action


@dataclass(frozen=True)
class HandMove:
    """An approved paper moved by hand: the section its decision named (by the list's name now), the sections the list
    holds it in now, and who approved it, through which channel, when."""

    approved_into: str
    held: tuple[str, ...]
    made: str

    @property
    def now(self) -> str:
        return ", ".join(self.held)

    def where(self, moved: str = "moved") -> str:
        """'where a maintainer moved it by hand after its approval into Steering by ann via discord on 2026-...'."""
        return f"where a maintainer {moved} it by hand after its approval into {self.approved_into} {self.made}".strip()

    def moved(self, outcome: Outcome) -> str:
        """What an approval that moved it into another section says: from where to where, and why it was there."""
        return f"moved from {self.now} ({self.where('had moved')}) to {outcome.section}"


def hand_move(session: Session, candidate: Candidate, action: str, before: Standing | None) -> HandMove | None:
    """The hand move of an approved candidate's paper that an approval meets; None when there is none."""
    if action != Action.APPROVE or before is None:
        return None
    found = moved_by_hand(session, candidate)
    if found is None:
        return None
    approved_into, held = found
    return HandMove(approved_into, tuple(held), before.made())


def kept_by_hand(
    session: Session,
    candidate: Candidate,
    action: str,
    actor: Actor,
    section: str | None,
    move: HandMove | None,
    *,
    digest: str,
) -> Outcome | None:
    """The outcome of approving a paper moved by hand again without a section, or into the section holding it now:
    nothing changes, and the answer says where it is (and, without a section, the command that moves it: `digest`
    the service's own invocation). None when the approval is to be made (into another section, it moves the paper;
    `HandMove.moved` says so)."""
    if move is None:
        return None
    if section is not None and asked_label(session, candidate, action, section) not in move.held:
        return None
    message = f"already in {move.now}, {move.where()}; nothing was changed"
    if section is None:
        message += f" (`{digest} approve {candidate.id} --section NAME` moves it)"
    return outcome_of(candidate, action, actor, False, noted(message), move.held[0])
