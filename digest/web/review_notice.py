"""What the /review page says of a decided candidate beside its standing: the facts the undo rule reads, who decided
it since, and whether the decision that stands is still the one this maintainer's press made (a tab reloaded after
the decision was taken back, or overturned in Discord, must not read as if the press had done that)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from sqlalchemy import Row, select
from sqlalchemy.orm import Session

from digest.record_ids import parse_record_id
from digest.review.history import action_words
from digest.review.queries import decisions_after, latest_decision
from digest.review.rules import Actor
from digest.storage.models import PENDING, Candidate, Decision
from digest.text import quoted
from digest.vocab import decided_by, through
from digest.web.review_filters import DecisionFacts, FilterError

# The numbers a decision's redirect gives /review for its notice: the candidate it names, or how many it rejected.
CANDIDATE_NOTICES = ("decided", "already", "not_undone", "undone")
COUNT_NOTICES = ("rejected", "skipped")


def parse_notice(query: Mapping[str, str]) -> dict[str, int]:
    """The notice's numbers /review was given; FilterError naming the first that is not a number, as a filter's."""
    numbers: dict[str, int] = {}
    for name in (*CANDIDATE_NOTICES, *COUNT_NOTICES):
        text = query.get(name)
        number = parse_record_id(text) if text is not None else None
        if text is not None and number is None:
            what = "a candidate's number" if name in CANDIDATE_NOTICES else "a count such as 3"
            raise FilterError(f"?{name}= must be {what}, not {quoted(text)}.")
        if number is not None:
            numbers[name] = number
    return numbers


def decision_facts(session: Session, candidate_id: int) -> DecisionFacts | None:
    return decision_facts_of(session, [candidate_id]).get(candidate_id)


def decision_facts_of(session: Session, candidate_ids: Sequence[int]) -> dict[int, DecisionFacts]:
    """The undo rule's facts of each candidate's newest applied decision (`latest_decision`), by id (one never decided
    left out), with whether someone else decided it since (`decisions_after`): one query for a page's cards, whose
    200 fresh decisions were asked twice each."""
    decisions: dict[int, list[Row[tuple[int, str, str, str | None, datetime, bool]]]] = {}
    rows = session.execute(
        select(
            Decision.candidate_id, Decision.action, Decision.channel, Decision.actor_id, Decision.at, Decision.applied
        )
        .where(Decision.candidate_id.in_(list(candidate_ids)))
        .order_by(Decision.id)  # the order they were made in, as latest_decision reads it
    )
    for row in rows:
        decisions.setdefault(row.candidate_id, []).append(row)
    facts: dict[int, DecisionFacts] = {}
    for candidate_id, made in decisions.items():
        applied = [index for index, decision in enumerate(made) if decision.applied]
        if not applied:
            continue
        latest = made[applied[-1]]
        since = made[applied[-1] + 1 :]
        others = any((d.channel, d.actor_id) != (latest.channel, latest.actor_id) for d in since)
        facts[candidate_id] = DecisionFacts(
            action=latest.action, channel=latest.channel, actor_id=latest.actor_id, at=latest.at, others_since=others
        )
    return facts


def decided_since(session: Session, candidate: Candidate) -> list[str]:
    """What others decided on a decided candidate after the decision that stands, as 'ann approved into Probing via
    discord on 2026-11-23 12:00 UTC' (nothing changed, so the standing alone does not say it)."""
    latest = latest_decision(session, candidate.id) if candidate.status != PENDING else None
    if latest is None:
        return []
    return [
        f"{d.actor} {action_words(d)}{through(d.actor, d.channel)} on {d.at:%Y-%m-%d %H:%M} UTC"
        for d in decisions_after(session, latest)
        if (d.channel, d.actor_id) != (latest.channel, latest.actor_id)
    ]


def taken_back(session: Session, candidate: Candidate, actor: Actor) -> str | None:
    """None while the decision that stands is this maintainer's own; else who changed it since, for the notice of a
    reloaded page: 'maintainer via cli on 2026-12-05 07:40 UTC' (returned to pending, or decided by someone else)."""
    latest = latest_decision(session, candidate.id)
    if latest is None or (candidate.status != PENDING and (latest.channel, latest.actor_id) == ("web", actor.id)):
        return None
    return f"{decided_by(latest.actor, latest.channel)} on {latest.at:%Y-%m-%d %H:%M} UTC"
