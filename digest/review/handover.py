"""A Discord decision handed over: the maintainer whose reaction made it takes it back while another maintainer's
reaction of the same meaning is still on the message, so the decision stands, now as theirs (README: "that one then
decides"). The candidate keeps its status and the list is left as it is, a hand move or edit of the entry included;
the audit log gets one applied decision, theirs. Undoing it first and deciding it again took the paper out of the
list and wrote it back where its suggested section is, and logged a return to pending no one meant."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import datetime

from digest.review.queries import latest_decision
from digest.review.rules import Actor
from digest.storage.db import Database
from digest.storage.models import PENDING, Candidate, Decision
from digest.text import one_line
from digest.vocab import Action, Channel

log = logging.getLogger(__name__)


def hand_over(database: Database, candidate_id: int, from_id: str, heir: Actor, now: datetime) -> bool:
    """Records the decision that stands, made through Discord by the user `from_id`, as `heir`'s; False (nothing
    written) when it does not stand (decided again meanwhile, elsewhere or by someone else): the caller undoes then."""
    heir = replace(heir, name=one_line(heir.name) or "?")
    with database.transaction(exclusive=True) as session:
        candidate = session.get(Candidate, candidate_id, with_for_update=True)
        latest = latest_decision(session, candidate_id) if candidate is not None else None
        if candidate is None or latest is None or candidate.status == PENDING or latest.action == Action.REVERT:
            return False
        if latest.channel != Channel.DISCORD or latest.actor_id != from_id or latest.command:
            return False
        candidate.decided_by, candidate.decided_at, candidate.updated_at = heir.name[:200], now, now
        session.add(
            Decision(candidate_id=candidate_id, action=latest.action, section=latest.section, actor=heir.name[:200],
                     actor_id=heir.id, channel=heir.channel, at=now, applied=True)
        )  # fmt: skip
        arxiv_id = candidate.arxiv_id
    log.info("decision: %s %s stands, now as %s's (the deciding reaction was taken back)", latest.action, arxiv_id,
             heir.name)  # fmt: skip
    return True
