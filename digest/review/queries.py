"""Review's queries: the decision that made a candidate's status, its standing, and what waits for a maintainer."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from typing import Any, NoReturn

from sqlalchemy import ColumnElement, Select, SQLColumnExpression, and_, case, false, func, or_, select
from sqlalchemy.orm import Session

from digest.awesome import store as liststore
from digest.review.rules import Actor, AlreadyDecidedError, Standing
from digest.review.where_now import decided_where_now, sections_now
from digest.storage.models import APPROVED, PENDING, REJECTED, Candidate, Decision
from digest.vocab import Action, decided_by

log = logging.getLogger("digest.review.reviewer")  # the decisions' log, refusals with the rest


def latest_decision(session: Session, candidate_id: int) -> Decision | None:
    """The decision that made the candidate's current status: the newest one that changed something. Newest by the
    order they were made in (their ids, taken under the candidate's lock), not by their clock: a clock stepped back,
    or a second host's skewed one, must not let an older decision stand."""
    return session.scalars(
        select(Decision)
        .where(Decision.candidate_id == candidate_id, Decision.applied.is_(True))
        .order_by(Decision.id.desc())
        .limit(1)
    ).first()


def decisions_after(session: Session, decision: Decision) -> list[Decision]:
    """The decisions on its candidate made after `decision` (also those that changed nothing: a maintainer who
    approved what was approved a moment before meant it too), oldest first."""
    return list(
        session.scalars(
            select(Decision)
            .where(Decision.candidate_id == decision.candidate_id, Decision.id > decision.id)
            .order_by(Decision.id)
        )
    )


def stands_as(session: Session, candidate_id: int, actor: Actor, action: str, section: str | None = None) -> bool:
    """Whether the candidate stands decided so (approved, rejected) by this actor: the same press sent twice (a
    confirmation sent again, a button pressed twice) is that decision done, not "decided elsewhere meanwhile". An
    approval is the same only into the same section (resolved as an approval resolves it): Probing pressed in a tab
    that still showed the paper pending, after Steering in another, is not done. Actors with no id (approval links,
    the command line) are told apart by their channel: a feed link's press is not the email's, nor a command's."""
    latest = latest_decision(session, candidate_id)
    if latest is None or latest.action != action or (latest.actor_id, latest.channel) != (actor.id, actor.channel):
        return False
    if action != Action.APPROVE:
        return True
    candidate = session.get(Candidate, candidate_id)
    return candidate is not None and approved_into(session, candidate, section)


def approved_into(session: Session, candidate: Candidate, section: str | None) -> bool:
    """Whether the candidate stands approved into `section` (None: its suggested one), resolved as an approval
    resolves it."""
    wanted = section or candidate.suggested_section
    resolved = liststore.resolve_section(session, wanted) if wanted else None
    return (
        candidate.status == APPROVED
        and resolved is not None
        and liststore.label_of(session, resolved) == candidate.decided_section
    )


def overturns(session: Session, candidate: Candidate, action: str, section: str | None) -> bool:
    """Whether approving (into `section`) or rejecting the decided candidate would change its decision; an approval
    into a section the list lacks does not (the reviewer refuses it with its own reason)."""
    if candidate.status == PENDING or action not in (Action.APPROVE, Action.REJECT):
        return False
    if action == Action.REJECT:
        return candidate.status != REJECTED
    wanted = section or candidate.suggested_section
    if not wanted or liststore.resolve_section(session, wanted) is None:
        return False
    return not approved_into(session, candidate, section)


def standing_of(session: Session, candidate: Candidate) -> Standing:
    """The candidate's status and the decision that made it (the newest applied one); an approval's section where the
    list holds the paper now, as its card and Discord message say it (where_now.decided_where_now): an approval link's
    page, the review page's notice, the command line and Discord's refusals named the decision's recorded section
    after a heading was renamed or the paper moved by hand. The decision's record is left as made."""
    latest = latest_decision(session, candidate.id) if candidate.status != PENDING else None
    channel = latest.channel if latest is not None else None
    section = candidate.decided_section
    if candidate.status == APPROVED and section:
        section = decided_where_now(session, [candidate]).get(candidate.id) or section
    return Standing(
        candidate_id=candidate.id,
        status=candidate.status,
        section=section,
        by=candidate.decided_by,
        channel=channel,
        at=candidate.decided_at,
    )


# An order: each key, and whether it runs descending. The id ends each: PostgreSQL, unlike SQLite, gives equal rows in
# no stable order, and a page's keyset needs one row to start after.
Order = Sequence[tuple[SQLColumnExpression[Any], bool]]
PENDING_ORDER: Order = ((Candidate.score, True), (Candidate.first_seen_at, False), (Candidate.id, False))
# The decided first, newest first, then the queue: PostgreSQL puts NULLs first in a descending order, SQLite last, so
# the queue's missing decision times are sorted apart by a number (NULLS LAST is not in every SQLite).
DECIDED_ORDER: Order = (
    (case((Candidate.decided_at.is_(None), 1), else_=0), False),
    (Candidate.decided_at, True),
    (Candidate.score, True),
    (Candidate.id, False),
)


def ordered(query: Select[tuple[Candidate]], order: Order) -> Select[tuple[Candidate]]:
    return query.order_by(*(key.desc() if descending else key for key, descending in order))


def after_candidate(session: Session, order: Order, candidate_id: int) -> ColumnElement[bool]:
    """The rows past the candidate in `order` (a page's keyset: the next page starts after its last card), in plain
    comparisons SQLite and PostgreSQL read alike (no row values). Its keys are read from the database, as stored; a
    NULL key is equal to NULL alone, with nothing strictly past it. Nothing when the candidate is not there."""
    values = session.execute(select(*(key for key, _ in order)).where(Candidate.id == candidate_id)).first()
    if values is None:
        return false()
    alternatives: list[ColumnElement[bool]] = []
    equal: list[ColumnElement[bool]] = []
    for (key, descending), value in zip(order, values, strict=True):
        if value is not None:
            alternatives.append(and_(*equal, key < value if descending else key > value))
        equal.append(key.is_(None) if value is None else key == value)
    return or_(*alternatives)


def on_review_page(candidate: Candidate) -> bool:
    """Whether the review page lists `candidate` among those waiting (pending_query's rule for one candidate): a
    paper under the review threshold (the weekly email's "worth a look") is not, and is decided by command."""
    return candidate.status == PENDING and bool(candidate.relevant)


def pending_query() -> Select[tuple[Candidate]]:
    """Pending relevant candidates, best score first: what waits for a maintainer, wherever it is shown."""
    return ordered(select(Candidate).where(Candidate.status == PENDING, Candidate.relevant.is_(True)), PENDING_ORDER)


def pending_candidates(
    session: Session, limit: int | None = None, seen_before: datetime | None = None
) -> list[Candidate]:
    """The review page, the private feed and the weekly digest show these; a week's digest those first seen before
    its end (`seen_before`), as the rest of an edition keeps to its week."""
    query = _seen_before(pending_query(), seen_before)
    if limit is not None:
        query = query.limit(limit)
    return list(session.scalars(query))


def pending_count(session: Session, seen_before: datetime | None = None) -> int:
    query = _seen_before(pending_query(), seen_before).order_by(None)
    return session.scalar(select(func.count()).select_from(query.subquery())) or 0


def _seen_before(query: Select[tuple[Candidate]], end: datetime | None) -> Select[tuple[Candidate]]:
    return query if end is None else query.where(Candidate.first_seen_at < end)


def section_now(session: Session, candidate: Candidate) -> str | None:
    """The section a decided candidate went into, by the list's name now: the decision recorded the name it had then,
    and a heading renamed in the list since left the card naming a section the list no longer has. Resolved as an
    approval resolves a name, else the one section holding the paper now; None when neither tells."""
    return sections_now(session, [candidate]).get(candidate.id)


def refuse_decided(
    session: Session, candidate: Candidate, action: str, actor: Actor, digest: str, section: str | None = None
) -> NoReturn:
    """A decision asked only of a pending candidate, which this one no longer is: logged and refused, naming the
    command (run as `digest`, the service's own invocation) that changes it on purpose."""
    standing = standing_of(session, candidate)
    who = decided_by(actor.name, actor.channel)
    log.info("decision refused: %s %s by %s: already %s", action, candidate.arxiv_id, who, standing.describe())
    raise AlreadyDecidedError(standing, digest, action, section)
