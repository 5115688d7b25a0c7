"""Candidate decisions: the one path by which Discord, the web page, feed links and the CLI change the list.

A decision updates the candidate, the list entry and the audit log in one transaction, then regenerates the list's
Markdown and tells the listeners (the Discord bot edits its message). Who may decide is a pure rule here too.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import threading
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from digest import liststore
from digest.config import DiscordSettings, Settings
from digest.db import Database
from digest.models import APPROVED, PENDING, REJECTED, Candidate, Decision

log = logging.getLogger(__name__)

ACTIONS = ("approve", "reject", "revert")
CHANNELS = ("discord", "web", "feed", "cli")
_SHORT_NAME_MAX = 40


class ReviewError(Exception):
    """A decision that cannot be made (unknown candidate or section, unknown action); one line."""


@dataclass(frozen=True)
class Standing:
    """Where a candidate stands: its status, and who decided it, through which channel, when (if known)."""

    candidate_id: int
    status: str
    section: str | None
    by: str | None
    channel: str | None
    at: datetime | None

    def describe(self) -> str:
        """'approved into Probing by ann via discord on 2026-11-23 12:00 UTC'; only the parts that are known."""
        parts = [self.status + (f" into {self.section}" if self.status == APPROVED and self.section else "")]
        if self.by:
            parts.append(f"by {self.by}")
        if self.channel:
            parts.append(f"via {self.channel}")
        if self.at:
            parts.append(f"on {self.at:%Y-%m-%d %H:%M} UTC")
        return " ".join(parts)

    def change_command(self) -> str:
        """The command that overturns this decision on purpose."""
        return f"digest {'reject' if self.status == APPROVED else 'approve'} {self.candidate_id}"


class AlreadyDecidedError(ReviewError):
    """A decision that may act only on a pending candidate (a feed link, the review page) found it decided already."""

    def __init__(self, standing: Standing) -> None:
        self.standing = standing
        super().__init__(
            f"Candidate {standing.candidate_id} was already {standing.describe()}; approval links and the review page "
            f"act only on pending candidates. To change the decision on purpose, run `{standing.change_command()}`."
        )


@dataclass(frozen=True)
class Actor:
    name: str
    id: str | None
    channel: str  # discord | web | feed | cli


@dataclass(frozen=True)
class Outcome:
    candidate_id: int
    arxiv_id: str
    action: str
    status: str
    section: str | None
    changed: bool
    message: str
    actor: Actor


Listener = Callable[[Outcome], Awaitable[None]]


def utc_now() -> datetime:
    return datetime.now(UTC)


def may_decide(member_role_ids: Iterable[int], user_id: int, settings: DiscordSettings) -> bool:
    """Maintainers are the listed users and the members holding a maintainer role."""
    if user_id in settings.maintainer_user_ids:
        return True
    return any(role in settings.maintainer_role_ids for role in member_role_ids)


def short_name_for(title: str) -> str | None:
    """The list gives each paper a bold short name; arXiv titles of the form 'Name: subtitle' supply one."""
    head, sep, _ = title.partition(":")
    head = head.strip()
    if sep and 0 < len(head) <= _SHORT_NAME_MAX:
        return head
    return None


class Reviewer:
    def __init__(self, database: Database, settings: Settings, clock: Callable[[], datetime] = utc_now) -> None:
        self.database = database
        self.settings = settings
        self.clock = clock
        self._listeners: list[Listener] = []
        # Decisions arrive from the bot, the web server and worker threads at once; one at a time keeps
        # "approving twice adds the paper once" true without relying on the database's locking.
        self._lock = threading.Lock()

    def add_listener(self, callback: Listener) -> None:
        self._listeners.append(callback)

    def decide(
        self, candidate_id: int, action: str, actor: Actor, section: str | None = None, *, only_pending: bool = False
    ) -> Outcome:
        """Makes one decision; with `only_pending` (feed links, the review page) a decided candidate raises
        AlreadyDecidedError.

        A link from an old feed item, or a review page opened before someone else decided, must not overturn what a
        maintainer decided elsewhere.
        """
        if action not in ACTIONS:
            raise ReviewError(f"unknown action {action!r}: use one of {', '.join(ACTIONS)}")
        if actor.channel not in CHANNELS:
            raise ReviewError(f"unknown channel {actor.channel!r}")
        with self._lock:
            return self._decide_locked(candidate_id, action, actor, section, only_pending)

    def _decide_locked(
        self, candidate_id: int, action: str, actor: Actor, section: str | None, only_pending: bool
    ) -> Outcome:
        now = self.clock()
        with self.database.transaction() as session:
            # Locked until the decision commits (PostgreSQL; SQLite's transaction holds the write lock already).
            candidate = session.get(Candidate, candidate_id, with_for_update=True)
            if candidate is None:
                raise ReviewError(f"no candidate with id {candidate_id}")
            if only_pending and candidate.status != PENDING:
                standing = standing_of(session, candidate)
                log.info(
                    "decision refused: %s %s by %s via %s: already %s",
                    action,
                    candidate.arxiv_id,
                    actor.name,
                    actor.channel,
                    standing.describe(),
                )
                raise AlreadyDecidedError(standing)
            outcome = self._apply(session, candidate, action, actor, section, now)
            session.add(
                Decision(
                    candidate_id=candidate.id,
                    action=action,
                    section=outcome.section if action == "approve" else None,
                    actor=actor.name[:200],
                    actor_id=actor.id,
                    channel=actor.channel,
                    at=now,
                    applied=outcome.changed,
                )
            )
        if outcome.changed:
            self.regenerate_markdown()
        log.info(
            "decision: %s %s by %s via %s%s (%s)",
            action,
            outcome.arxiv_id,
            actor.name,
            actor.channel,
            f" into {outcome.section}" if action == "approve" and outcome.section else "",
            outcome.message,
        )
        return outcome

    async def decide_async(
        self, candidate_id: int, action: str, actor: Actor, section: str | None = None, *, only_pending: bool = False
    ) -> Outcome:
        outcome = await asyncio.to_thread(
            functools.partial(self.decide, candidate_id, action, actor, section, only_pending=only_pending)
        )
        await self.notify(outcome)
        return outcome

    async def notify(self, outcome: Outcome) -> None:
        for listener in list(self._listeners):
            try:
                await listener(outcome)
            except Exception:  # a listener (Discord down) must never undo or hide a decision
                log.exception("a decision listener failed for candidate %s", outcome.candidate_id)

    def regenerate_markdown(self) -> None:
        try:
            with self.database.reading() as session:
                liststore.write_markdown(session, self.settings)
        except OSError as exc:
            # The database holds the decision; the file is rebuilt by the next decision or `digest list export`.
            log.error("could not write %s: %s", self.settings.list_markdown_path, exc.strerror or exc)

    def _apply(
        self,
        session: Session,
        candidate: Candidate,
        action: str,
        actor: Actor,
        section: str | None,
        now: datetime,
    ) -> Outcome:
        def outcome(changed: bool, message: str, chosen: str | None = None) -> Outcome:
            return Outcome(
                candidate_id=candidate.id,
                arxiv_id=candidate.arxiv_id,
                action=action,
                status=candidate.status,
                section=chosen if chosen is not None else candidate.decided_section,
                changed=changed,
                message=message,
                actor=actor,
            )

        if action == "approve":
            wanted = section or candidate.suggested_section
            if not wanted:
                raise ReviewError(f"candidate {candidate.id} has no suggested section: name one")
            resolved = liststore.resolve_section(session, wanted)
            if resolved is None:
                known = ", ".join(liststore.section_names(session))
                raise ReviewError(f"no section named {wanted!r} in the list (sections: {known})")
            if candidate.status == APPROVED and candidate.decided_section == resolved.name:
                return outcome(False, f"already approved into {resolved.name}")
            self._remove_entry(session, candidate)
            listed_before = list(resolved.entries)
            try:
                entry = liststore.add_paper_entry(
                    session,
                    section_name=resolved.name,
                    title=candidate.title,
                    arxiv_id=candidate.arxiv_id,
                    url=f"https://arxiv.org/abs/{candidate.arxiv_id}",
                    code_url=candidate.code_url,
                    published=candidate.published.date() if candidate.published else None,
                    authors=list(candidate.authors),
                    abstract=candidate.abstract,
                    short_name=short_name_for(candidate.title),
                    now=now,
                    templates_dir=self.settings.templates_dir,
                )
            except liststore.ListFormatError as exc:
                raise ReviewError(f"cannot add candidate {candidate.id} to the list: {exc}") from None
            self._record(candidate, APPROVED, actor, resolved.name, now)
            # paper_id marks the entry this approval added, which a later revert or reject removes; an entry a
            # maintainer had already written into that section is theirs and stays.
            candidate.paper_id = None if entry in listed_before else entry.paper_id
            return outcome(True, f"approved into {resolved.name}", resolved.name)

        if action == "reject":
            if candidate.status == REJECTED:
                return outcome(False, "already rejected")
            self._remove_entry(session, candidate)
            self._record(candidate, REJECTED, actor, None, now)
            return outcome(True, "rejected")

        if candidate.status == PENDING:
            return outcome(False, "already pending")
        self._remove_entry(session, candidate)
        candidate.status = PENDING
        candidate.decided_at = None
        candidate.decided_by = None
        candidate.decided_section = None
        candidate.updated_at = now
        return outcome(True, "back to pending")

    @staticmethod
    def _record(candidate: Candidate, status: str, actor: Actor, section: str | None, now: datetime) -> None:
        candidate.status = status
        candidate.decided_at = now
        candidate.decided_by = actor.name[:200]
        candidate.decided_section = section
        candidate.updated_at = now

    @staticmethod
    def _remove_entry(session: Session, candidate: Candidate) -> None:
        """Undoes an earlier approval: the entry it added leaves the list (the paper row stays for history)."""
        if candidate.status == APPROVED and candidate.paper_id is not None and candidate.decided_section:
            liststore.remove_paper_entry(session, paper_id=candidate.paper_id, section_name=candidate.decided_section)


def latest_decision(session: Session, candidate_id: int) -> Decision | None:
    """The decision that made the candidate's current status: the newest one that changed something."""
    return session.scalars(
        select(Decision)
        .where(Decision.candidate_id == candidate_id, Decision.applied.is_(True))
        .order_by(Decision.at.desc(), Decision.id.desc())
        .limit(1)
    ).first()


def standing_of(session: Session, candidate: Candidate) -> Standing:
    """The candidate's status and the decision that made it (the newest applied one)."""
    latest = latest_decision(session, candidate.id) if candidate.status != PENDING else None
    channel = latest.channel if latest is not None else None
    return Standing(
        candidate_id=candidate.id,
        status=candidate.status,
        section=candidate.decided_section,
        by=candidate.decided_by,
        channel=channel,
        at=candidate.decided_at,
    )


def pending_query() -> Select[tuple[Candidate]]:
    """Pending relevant candidates, best score first: what waits for a maintainer, wherever it is shown."""
    # The id breaks ties: PostgreSQL, unlike SQLite, gives equal rows in no stable order.
    return (
        select(Candidate)
        .where(Candidate.status == PENDING, Candidate.relevant.is_(True))
        .order_by(Candidate.score.desc(), Candidate.first_seen_at, Candidate.id)
    )


def pending_candidates(session: Session, limit: int | None = None) -> list[Candidate]:
    """The review page, the private feed and the weekly digest show these."""
    query = pending_query()
    if limit is not None:
        query = query.limit(limit)
    return list(session.scalars(query))


def pending_count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(pending_query().order_by(None).subquery())) or 0
