"""Publishing's state in the database: the one `publish_state` row and the decisions not yet in the repository.

Pending is derived from the audit log (applied decisions after `last_decision_id`), so every channel's decisions
count, the CLI's in another process too, and a restart or an unreachable remote loses none.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from digest.awesome import store as liststore
from digest.publish.rules import Decided
from digest.storage.db import Database
from digest.storage.models import APPROVED, Candidate, Decision, Entry
from digest.storage.state import PublishState
from digest.vocab import Action

STATE_ID = 1


@dataclass(frozen=True)
class PublishStatus:
    published_commit: str | None
    published_at: datetime | None
    synced_commit: str | None
    pending: list[Decided]
    failures: int
    last_error: str | None
    attempted_at: datetime | None
    pull_number: int | None = None  # pull-request mode: the service's pull request and its branch
    pull_branch: str | None = None


def state_row(session: Session, templates_dir: Path) -> PublishState:
    """The state row, created on first use with `first_base`."""
    state = session.get(PublishState, STATE_ID)
    if state is None:
        base, after = first_base(session, templates_dir)
        state = PublishState(id=STATE_ID, last_decision_id=after, failures=0, base_text=base)
        session.add(state)
        session.flush()
    return state


def first_base(session: Session, templates_dir: Path) -> tuple[str, int]:
    """Before the first sync: the merge base and the decision after which decisions are pending.

    The base is the list without the entries that approvals made here added (the list as the maintainers' file had
    it, give or take their edits since). So the first sync takes the repository's file as the maintainers' and puts
    the papers approved before publishing was switched on on top of it; with the whole list as the base they were
    dropped without a word. Those approvals are pending; every later decision is too."""
    # A decision names its section as it was called then: by its label ("Probing (2024)" where the list repeats a
    # heading), and maybe by a name since changed (renamed by hand, or its heading's markup left out): resolved as an
    # approval resolves a name.
    resolved: dict[str, int | None] = {}
    rows = session.execute(
        select(Entry.id, Entry.section_id, Candidate.decided_section, func.max(Decision.id))
        .join(Candidate, Candidate.paper_id == Entry.paper_id)
        .join(Decision, (Decision.candidate_id == Candidate.id) & (Decision.action == Action.APPROVE))
        .where(Candidate.status == APPROVED, Decision.applied.is_(True))
        .group_by(Entry.id, Entry.section_id, Candidate.decided_section)
    ).all()
    newest: dict[int, int] = {}
    for entry_id, section_id, decided, decision_id in rows:
        if decided is not None and decided not in resolved:
            section = liststore.resolve_section(session, decided)
            resolved[decided] = section.id if section is not None else None
        if decided is not None and resolved[decided] == section_id:
            newest[entry_id] = max(decision_id, newest.get(entry_id, decision_id))
    added = list(newest.items())
    base = liststore.render_markdown(session, templates_dir, leaving_out={entry_id for entry_id, _ in added})
    if added:
        return base, min(decision_id for _, decision_id in added) - 1
    return base, session.scalar(select(func.max(Decision.id))) or 0


def pending_decisions(session: Session, after_id: int) -> tuple[int, list[Decided]]:
    """The newest decision id, and per candidate its newest applied decision after `after_id` (oldest first)."""
    rows = session.execute(
        select(Decision, Candidate)
        .join(Candidate, Candidate.id == Decision.candidate_id)
        .where(Decision.id > after_id, Decision.applied.is_(True))
        .order_by(Decision.id)
    ).all()
    newest = max((decision.id for decision, _ in rows), default=after_id)
    latest: dict[int, Decided] = {}
    for decision, candidate in rows:
        latest.pop(candidate.id, None)  # re-inserted last: the order is that of each candidate's newest decision
        latest[candidate.id] = Decided(
            arxiv_id=candidate.arxiv_id,
            title=candidate.title,
            action=decision.action,
            section=decision.section,
            actor=decision.actor,
            channel=decision.channel,
        )
    return newest, list(latest.values())


def record_failure(database: Database, templates_dir: Path, line: str, now: datetime) -> int:
    """Keeps the failure (one line, never a secret) and returns how many attempts in a row failed."""
    with database.transaction() as session:
        state_row(session, templates_dir)
        session.flush()
        # One UPDATE, so two processes failing at once both count (a read-then-write in Python loses one).
        bumped = session.execute(
            update(PublishState)
            .where(PublishState.id == STATE_ID)
            .values(failures=PublishState.failures + 1, last_error=line, attempted_at=now)
            .returning(PublishState.failures)
            .execution_options(synchronize_session=False)
        ).scalar_one()
        session.expire_all()
        return int(bumped)


def read_status(database: Database, templates_dir: Path) -> PublishStatus:
    """Where publishing stands; writes nothing (before the first publish, the state row is worked out, not stored), so
    it reads a database opened read-only."""
    with database.reading() as session:
        state = session.get(PublishState, STATE_ID)
        if state is None:
            _base, after = first_base(session, templates_dir)
            state = PublishState(id=STATE_ID, last_decision_id=after, failures=0)
        _newest, pending = pending_decisions(session, state.last_decision_id)
        return PublishStatus(
            published_commit=state.published_commit,
            published_at=state.published_at,
            synced_commit=state.synced_commit,
            pending=pending,
            failures=state.failures,
            last_error=state.last_error,
            attempted_at=state.attempted_at,
            pull_number=state.pull_number,
            pull_branch=state.pull_branch,
        )


def has_pending(database: Database) -> bool:
    with database.reading() as session:
        state = session.get(PublishState, STATE_ID)
        after = state.last_decision_id if state is not None else None
        if after is None:
            return False
        query = select(func.count()).where(Decision.id > after, Decision.applied.is_(True))
        return bool(session.scalar(query))


def last_error(database: Database) -> str | None:
    """The last publish's failure; None once a publish (the service's or `digest publish`) went through."""
    with database.reading() as session:
        state = session.get(PublishState, STATE_ID)
        return state.last_error if state is not None else None


def decided_for(session: Session, arxiv_ids: set[str]) -> list[Decided]:
    """Per candidate among `arxiv_ids`, its newest applied decision: who put a paper into a pull request."""
    if not arxiv_ids:
        return []
    rows = session.execute(
        select(Decision, Candidate)
        .join(Candidate, Candidate.id == Decision.candidate_id)
        .where(Candidate.arxiv_id.in_(sorted(arxiv_ids)), Decision.applied.is_(True))
        .order_by(Decision.id)
    ).all()
    latest: dict[int, Decided] = {}
    for decision, candidate in rows:
        latest.pop(candidate.id, None)
        latest[candidate.id] = Decided(
            candidate.arxiv_id, candidate.title, decision.action, decision.section, decision.actor, decision.channel
        )
    return list(latest.values())
