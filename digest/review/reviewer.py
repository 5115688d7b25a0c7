"""The reviewer: the one path by which Discord, the web page, feed links and the CLI change the list.

A decision updates the candidate, the list entry and the audit log in one transaction, then regenerates the list's
Markdown and tells the listeners (the Discord bot edits its message). The rules it applies are in review.rules.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import threading
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime

from sqlalchemy.orm import Session

from digest.awesome import store as liststore
from digest.clock import utc_now
from digest.config import Settings
from digest.config.invocation import same_invocation
from digest.review.applying import (
    add_candidate_entry,
    approved_before,
    holds_candidate,
    kept_outcome,
    move_approval_entry,
    outcome_of,
    record_decision,
    refuse_unasked_copy,
    remove_approval_entry,
)
from digest.review.hand_moves import hand_move, kept_by_hand
from digest.review.queries import refuse_decided, standing_of
from digest.review.rules import (
    ACTIONS,
    CHANNELS,
    Actor,
    Listener,
    Outcome,
    ReviewError,
    UnknownCandidateError,
    no_suggested_section,
)
from digest.review.taken_out import undone_deletion
from digest.review.where_now import approved_where_now
from digest.storage.db import Database
from digest.storage.models import APPROVED, PENDING, REJECTED, Candidate, Decision
from digest.text import one_line
from digest.vocab import Action, decided_by

# Asked under the candidate's lock just before a decision: (session, candidate, now) -> whether it may be made.
Condition = Callable[[Session, Candidate, datetime], bool]

log = logging.getLogger(__name__)


class Reviewer:
    def __init__(self, database: Database, settings: Settings, clock: Callable[[], datetime] = utc_now) -> None:
        self.database = database
        self.settings = settings
        self.digest = same_invocation(settings)  # the command a refusal names, run as printed: on this database
        self.clock = clock
        self._listeners: list[Listener] = []
        # Decisions arrive from the bot, the web server and worker threads at once; one at a time keeps
        # "approving twice adds the paper once" true without relying on the database's locking.
        self._lock = threading.Lock()

    def add_listener(self, callback: Listener) -> None:
        self._listeners.append(callback)

    def remove_listener(self, callback: Listener) -> None:
        """Stops telling `callback` about decisions (a part of the service that stopped); unknown ones are ignored."""
        if callback in self._listeners:
            self._listeners.remove(callback)

    def decide(
        self,
        candidate_id: int,
        action: str,
        actor: Actor,
        section: str | None = None,
        *,
        only_pending: bool = False,
        only_if: Condition | None = None,
        first_stands: bool = False,
        superseded: bool = False,
        copies: bool = True,
    ) -> Outcome:
        """Makes one decision; with `only_pending` (feed links, the review page) a decided candidate raises
        AlreadyDecidedError; with `only_if`, a candidate for which it is false (asked under the candidate's lock,
        so a decision made meanwhile elsewhere counts) raises NotAllowedError; with `first_stands` (a Discord
        reaction) one that would overturn a decision made through another channel is recorded as not applied, its
        outcome saying whose decision stands and how to change it on purpose (`overruled_by`); with `superseded` (a
        Discord reaction learned of late, made before the decision that stands) it is recorded as not applied, as the
        later decision would have overturned it. Without `copies` (a Discord reaction: its message shows the candidate,
        not the list) a named section adds no second entry of a paper a maintainer has listed since; nor does
        `only_pending`.

        A link from an old feed item, or a review page opened before someone else decided, must not overturn what a
        maintainer decided elsewhere.
        """
        if action not in ACTIONS:
            raise ReviewError(f"unknown action {action!r}: use one of {', '.join(ACTIONS)}")
        if actor.channel not in CHANNELS:
            raise ReviewError(f"unknown channel {actor.channel!r}")
        # A name is shown wherever decisions are (history, pages, emails): a Discord display name with a right-to-left
        # override or a line break must not rewrite who decided and through which channel.
        actor = replace(actor, name=one_line(actor.name) or "?")
        with self._lock:
            return self._decide_locked(
                candidate_id, action, actor, section, only_pending, only_if, first_stands, superseded, copies
            )

    def _decide_locked(
        self,
        candidate_id: int,
        action: str,
        actor: Actor,
        section: str | None,
        only_pending: bool,
        only_if: Condition | None = None,
        first_stands: bool = False,
        superseded: bool = False,
        copies: bool = True,
    ) -> Outcome:
        # Exclusive: a decision renumbers its section's entries from what it reads, so on PostgreSQL too another
        # process's decision waits for this one whole (two entries at one place, or a crash on an entry taken out).
        with self.database.transaction(exclusive=True) as session:
            now = self.clock()  # under the lock: a decision that waited for another's is dated after it
            # Locked until the decision commits (PostgreSQL; SQLite's transaction holds the write lock already).
            candidate = session.get(Candidate, candidate_id, with_for_update=True)
            if candidate is None:
                raise UnknownCandidateError(candidate_id)
            if only_pending and candidate.status != PENDING:
                refuse_decided(session, candidate, action, actor, self.digest, section)
            if only_if is not None and not only_if(session, candidate, now):
                raise NotAllowedError(f"{action} of candidate {candidate_id} is no longer allowed")
            before = standing_of(session, candidate) if candidate.status != PENDING else None
            listed = before is not None and bool(approved_where_now(session, [candidate]).get(candidate.id))
            section, earlier = approved_before(session, candidate, action, section, listed)  # taken out by hand
            kept = kept_outcome(
                session, candidate, action, actor, section, before, first_stands, superseded, self.digest
            )
            # A paper a maintainer moved by hand since stays there unless the approval names another section.
            by_hand = hand_move(session, candidate, action, before) if kept is None else None
            kept = kept or kept_by_hand(session, candidate, action, actor, section, by_hand, digest=self.digest)
            # A link, the review page or a Discord message showed a pending candidate, not the list: a section chosen
            # there asks for no second copy of a paper a maintainer has listed since (`copies`).
            outcome = kept or self._apply(session, candidate, action, actor, section, now, copies and not only_pending)
            if earlier and outcome.changed:  # put back, not where its suggested section would have it: said
                outcome = replace(outcome, message=f"{outcome.message} ({earlier})")
            moved_from = None  # the history says a move, as the answer does
            if by_hand is not None and kept is None and outcome.changed:  # from where to where
                outcome, moved_from = replace(outcome, message=by_hand.moved(outcome)), by_hand.now
            elif before is not None and kept is None:  # the one who decides second is told whose decision came first
                into = outcome.section if action == Action.APPROVE and listed else None  # moved: from where to where
                outcome = replace(outcome, message=before.after(outcome.message, outcome.changed, actor, into))
                moved_from = before.left_for(outcome.changed, into)
            outcome = undone_deletion(candidate, action, outcome)  # a paper a maintainer took out by hand: said once
            session.add(_decision(candidate.id, action, actor, outcome, now, moved_from))
        if outcome.changed:  # a rejection or an undo takes the paper's entry out: the list is meant to shrink by it
            self.regenerate_markdown(frozenset() if action == Action.APPROVE else frozenset({outcome.arxiv_id}))
        log.info(
            "decision: %s %s by %s%s (%s)",
            action,
            outcome.arxiv_id,
            decided_by(actor.name, actor.channel),
            f" into {outcome.section}" if action == Action.APPROVE and outcome.section else "",
            outcome.message,
        )
        return outcome

    async def decide_async(
        self,
        candidate_id: int,
        action: str,
        actor: Actor,
        section: str | None = None,
        *,
        only_pending: bool = False,
        first_stands: bool = False,
        superseded: bool = False,
        copies: bool = True,
    ) -> Outcome:
        decide = functools.partial(
            self.decide, candidate_id, action, actor, section, only_pending=only_pending, first_stands=first_stands,
            superseded=superseded, copies=copies,
        )  # fmt: skip
        outcome = await asyncio.to_thread(decide)
        await self.notify(outcome)
        return outcome

    async def notify(self, outcome: Outcome) -> None:
        for listener in list(self._listeners):
            try:
                await listener(outcome)
            except Exception:  # a listener (Discord down) must never undo or hide a decision
                log.exception("a decision listener failed for candidate %s", outcome.candidate_id)

    def regenerate_markdown(self, decided_out: frozenset[str] = frozenset()) -> None:
        try:
            with self.database.reading() as session:
                liststore.write_markdown(session, self.settings, decided_out=decided_out)
        except OSError as exc:
            # The database holds the decision; the file is written again by the next decision or an export to it.
            path = self.settings.list_markdown_path
            log.error(
                "the decision is kept, but %s could not be written (%s): it is written again by the next decision, "
                "or now by `%s`",
                path,
                exc.strerror or exc,
                same_invocation(self.settings, "list", "export", "-o", path),  # run as printed: from this database
            )

    def _apply(
        self,
        session: Session,
        candidate: Candidate,
        action: str,
        actor: Actor,
        section: str | None,
        now: datetime,
        copies: bool = True,
    ) -> Outcome:
        if action == Action.APPROVE:
            return self._approve(session, candidate, action, actor, section, now, copies)
        if action == Action.REJECT:
            if candidate.status == REJECTED:
                return outcome_of(candidate, action, actor, False, "already rejected")
            remove_approval_entry(session, candidate, now, digest=self.digest)
            record_decision(candidate, REJECTED, actor, None, now)
            return outcome_of(candidate, action, actor, True, "rejected")
        if candidate.status == PENDING:
            return outcome_of(candidate, action, actor, False, "already pending")
        remove_approval_entry(session, candidate, now, digest=self.digest)
        candidate.status = PENDING
        candidate.decided_at = None
        candidate.decided_by = None
        candidate.decided_section = None
        candidate.updated_at = now
        return outcome_of(candidate, action, actor, True, "back to pending")

    def _approve(
        self,
        session: Session,
        candidate: Candidate,
        action: str,
        actor: Actor,
        section: str | None,
        now: datetime,
        copies: bool = True,
    ) -> Outcome:
        """Into the named section (else the suggested one): the entry written into the list, the candidate approved.
        A paper the list holds elsewhere gets a second entry only when `copies` and a section is named."""
        wanted = section or candidate.suggested_section
        if not wanted:
            raise ReviewError(no_suggested_section(candidate.id, actor.channel, liststore.section_names(session)))
        resolved = liststore.resolve_section(session, wanted)
        if resolved is None:
            raise ReviewError(liststore.unknown_section(session, wanted))
        label = liststore.label_of(session, resolved)  # its name, told apart from others of that name
        here = holds_candidate(session, candidate, resolved)
        if candidate.status == APPROVED and candidate.decided_section == label and here:
            return outcome_of(candidate, action, actor, False, f"already approved into {label}")
        if not here and candidate.status != APPROVED:  # a maintainer may have listed it by hand since it was found
            refuse_unasked_copy(session, candidate, label, section, copies, digest=self.digest)
        moving = candidate.status == APPROVED  # into another section: the paper stays in the list
        moved_here, moved = move_approval_entry(session, candidate, now, keeping=label, digest=self.digest)
        listed_before = list(resolved.entries)
        try:
            entry = add_candidate_entry(session, candidate, label, now, self.settings.templates_dir, moved)
        except liststore.ListFormatError as exc:
            raise ReviewError(f"cannot add candidate {candidate.id} to the list: {exc}") from None
        if not moving and entry not in listed_before and entry.paper.entries == [entry]:
            entry.paper.added_at = now  # a paper that had left the list joins it now, and the feeds date it so
        record_decision(candidate, APPROVED, actor, label, now)
        # paper_id marks the entry this approval added, which a later revert or reject removes; an entry a
        # maintainer had already written into that section is theirs and stays.
        candidate.paper_id = None if entry in listed_before and not moved_here else entry.paper_id
        return outcome_of(candidate, action, actor, True, f"approved into {label}", label)


class NotAllowedError(ReviewError):
    """A decision whose condition no longer held when it was to be made (an undo after someone else decided)."""


def _decision(
    candidate_id: int, action: str, actor: Actor, outcome: Outcome, now: datetime, moved_from: str | None = None
) -> Decision:
    """The record of one decision, applied or not; `moved_from`: the section(s) an approval moved the paper out of."""
    section = outcome.section if action == Action.APPROVE else None
    return Decision(candidate_id=candidate_id, action=action, section=section, actor=actor.name[:200],
                    actor_id=actor.id, channel=actor.channel, at=now, applied=outcome.changed,
                    command=actor.command, moved_from=moved_from[:200] if moved_from else None)  # fmt: skip
