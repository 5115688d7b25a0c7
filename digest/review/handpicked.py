"""A paper a maintainer adds by hand (the /review field, Discord's /add): fetched and stored as a candidate
(arxiv/additions.py), then approved through the Reviewer, the one path that decides. A refusal leaves nothing behind.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from digest.arxiv.additions import AddError, already_listed, fetch, forget_candidate, known_paper, store_candidate
from digest.config import Settings
from digest.review.reviewer import Reviewer
from digest.review.rules import Actor, Outcome, ReviewError
from digest.storage.db import Database
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
        return f"{outcome.arxiv_id}: approved into {outcome.section} (candidate {outcome.candidate_id}, {how})"


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
    candidate_id = known.candidate_id
    created = candidate_id is None
    if candidate_id is None:
        paper = await fetch(settings, arxiv_id)
        candidate_id = await asyncio.to_thread(
            lambda: store_candidate(database, settings, paper, section, section_hint=section_hint)
        )
    try:
        outcome = await reviewer.decide_async(candidate_id, Action.APPROVE, actor, section)
    except ReviewError as exc:
        if created:
            await asyncio.to_thread(forget_candidate, database, candidate_id)
        raise AddError(f"{exc} (nothing was added)") from exc
    if not outcome.changed:
        raise AddError(f"candidate {outcome.candidate_id} ({arxiv_id}): {outcome.message}")
    return Added(outcome, created, known.status)
