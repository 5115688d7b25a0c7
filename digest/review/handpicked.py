"""A paper a maintainer adds by hand (the /review field, Discord's /add, `digest add`): fetched and stored as a
candidate (arxiv/additions.py), then approved through the Reviewer, the one path that decides. A refusal leaves
nothing behind.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from digest.arxiv.additions import AddError, already_listed, fetch, forget_candidate, known_paper, store_candidate
from digest.config import Settings
from digest.config.invocation import noted
from digest.review.reviewer import Reviewer
from digest.review.rules import Actor, AlreadyDecidedError, Outcome, ReviewError
from digest.storage.db import Database
from digest.storage.models import PENDING
from digest.text import readable_section
from digest.vocab import Action


@dataclass(frozen=True)
class Added:
    """A paper approved into the list by a maintainer: the decision, and whether its candidate was made for it."""

    outcome: Outcome
    created: bool
    status_before: str | None  # the candidate's status before (None when it was just made)

    def describe(self) -> str:
        outcome = self.outcome
        how = "new candidate" if self.created else f"candidate, {self.status_before} until now"
        section = readable_section(outcome.section or "")
        return f"{outcome.arxiv_id}: approved into {section} (candidate {outcome.candidate_id}, {how})"


def approve_added(
    reviewer: Reviewer,
    arxiv_id: str,
    candidate_id: int,
    section: str | None,
    actor: Actor,
    *,
    created: bool,
    status_before: str | None,
) -> Outcome:
    """Approves the candidate an add found or made; AddError when nothing was added. A candidate that was pending
    (or new) when the add began is approved only while it still is: another maintainer who decided it meanwhile (the
    paper stored by their own add while this one fetched it) is not overruled in silence."""
    try:
        outcome = reviewer.decide(
            candidate_id, Action.APPROVE, actor, section, only_pending=status_before in (None, PENDING)
        )
    except AlreadyDecidedError as exc:
        again = f"{reviewer.digest} approve {candidate_id}" + (
            " --section NAME" if exc.standing.status != PENDING else ""
        )
        raise AddError(
            noted(
                f"{arxiv_id} was decided meanwhile: {exc.standing.describe()} (candidate {candidate_id}); nothing was "
                f"changed. To overrule that decision on purpose, run `{again}`."
            )
        ) from None
    except ReviewError as exc:
        if created:
            forget_candidate(reviewer.database, candidate_id)
        raise AddError(noted(f"{exc} (nothing was added)")) from exc
    if not outcome.changed:
        raise AddError(f"candidate {outcome.candidate_id} ({arxiv_id}): {outcome.message}")
    return outcome


async def add_and_approve(
    database: Database,
    settings: Settings,
    reviewer: Reviewer,
    arxiv_id: str,
    section: str | None,
    actor: Actor,
    *,
    section_hint: str,
) -> Added:
    """What a maintainer's add does in the service's loop (the /review field, Discord's /add): the database and the
    model in worker threads, arXiv through the polite client. AddError when nothing was added (and nothing written)."""
    known = await asyncio.to_thread(known_paper, database, arxiv_id, section)
    if known.listed is not None:
        raise AddError(already_listed(arxiv_id, known.listed))
    candidate_id, created, status_before = known.candidate_id, False, known.status
    if candidate_id is None:
        paper = await fetch(settings, arxiv_id)
        stored = await asyncio.to_thread(
            lambda: store_candidate(database, settings, paper, section, section_hint=section_hint)
        )
        # Found stored meanwhile (by a poll, a reader, another maintainer's add): approved only while still pending.
        candidate_id, created = stored.candidate_id, stored.created
        status_before = None if created else PENDING
    chosen = candidate_id
    outcome = await asyncio.to_thread(
        lambda: approve_added(reviewer, arxiv_id, chosen, section, actor, created=created, status_before=status_before)
    )
    await reviewer.notify(outcome)
    return Added(outcome, created, status_before)
