"""The pending decisions replayed on another copy of the list, by the list's own rules.

When an upstream edit and a pending approval touch neighbouring lines, the line merge gives up. Put the same way a
maintainer would (the upstream file brought in, then each pending decision made again), the two rarely meet: the
approved paper goes into its section in the upstream file at its date's place. Every step runs in a savepoint that
is rolled back: only the rendered text comes out.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from digest.awesome import store as liststore
from digest.awesome.parse import ListFormatError
from digest.publish.rules import Decided
from digest.review.applying import add_candidate_entry
from digest.storage.models import APPROVED, Candidate
from digest.titles import arxiv_abs_url
from digest.vocab import Action


def replayed(session: Session, text: str, decided: list[Decided], templates_dir: Path, now: datetime) -> str | None:
    """`text` as the list with the pending decisions made on it; None when one of them cannot be made again there
    (its section is gone, or it takes out a paper the text holds: those stay for a maintainer)."""
    savepoint = session.begin_nested()
    try:
        liststore.import_markdown(session, text.encode("utf-8"), source="publish replay", now=now)
        for item in decided:
            if item.action != Action.APPROVE:
                if arxiv_abs_url(item.arxiv_id).split("://", 1)[1] in text:
                    return None
                continue
            candidate = session.scalars(
                select(Candidate)
                .where(Candidate.arxiv_id == item.arxiv_id, Candidate.status == APPROVED)
                .order_by(Candidate.id)
            ).first()
            section = candidate.decided_section if candidate is not None else None
            if candidate is None or section is None or liststore.resolve_section(session, section) is None:
                return None
            add_candidate_entry(session, candidate, section, now, templates_dir)
        return liststore.render_markdown(session, templates_dir)
    except ListFormatError:
        return None
    finally:
        savepoint.rollback()
