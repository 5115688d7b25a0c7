"""What a decision does to a candidate and to the list: its status recorded, its entry added or taken out again, and the
outcome reported. Used by the reviewer inside its transaction, and by the publisher's replay of pending approvals.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from pathlib import Path

from sqlalchemy.orm import Session

from digest.awesome import store as liststore
from digest.config.invocation import noted
from digest.review.queries import overturns
from digest.review.rules import Actor, Outcome, ReviewError, Standing, decide_command, short_name_for
from digest.storage.models import APPROVED, Candidate, Entry, Section
from digest.text import UNTITLED
from digest.titles import arxiv_abs_url, title_key
from digest.vocab import Action


def record_decision(candidate: Candidate, status: str, actor: Actor, section: str | None, now: datetime) -> None:
    candidate.status = status
    candidate.decided_at = now
    candidate.decided_by = actor.name[:200]
    candidate.decided_section = section
    candidate.updated_at = now


def remove_approval_entry(
    session: Session, candidate: Candidate, now: datetime, *, digest: str, keeping: str | None = None
) -> bool:
    """Undoes an earlier approval: the entry it added leaves the list (the paper row stays for history). An
    approval into `keeping` keeps the paper's entry there (moved there by hand: the maintainer's lines stay);
    True when that entry is the approval's own, kept where the hand move put it."""
    if candidate.status != APPROVED or candidate.paper_id is None or not candidate.decided_section:
        return False
    if liststore.remove_paper_entry(
        session, paper_id=candidate.paper_id, section_name=candidate.decided_section, now=now
    ):
        return False
    # The section it went into was renamed since, or the entry moved to another one (a hand edit imported): its
    # entry is found by the paper. One entry is this approval's; with several (the paper also listed by hand)
    # which one is unknown, so nothing is decided rather than a decision logged while the list keeps the paper.
    holding = liststore.sections_holding(session, paper_id=candidate.paper_id)
    held = [name for name in holding if name != keeping]
    if len(held) > 1:
        raise ReviewError(
            noted(
                f"candidate {candidate.id}: its entry is no longer in the section it was approved into "
                f"({candidate.decided_section}) and the paper is in {', '.join(held)}; take it out of the list by "
                f"hand (`{digest} list import`)"
            )
        )
    if held:
        liststore.remove_paper_entry(session, paper_id=candidate.paper_id, section_name=held[0], now=now)
    return not held and keeping in holding


def holds_candidate(session: Session, candidate: Candidate, section: Section) -> bool:
    """Whether `section` holds the candidate's entry, or one a maintainer wrote by hand (under its arXiv ID, or its
    title where the list links a venue's page instead)."""
    own = {candidate.paper_id, *liststore.paper_ids(session, candidate.arxiv_id, candidate.title_key)}
    return any(entry.paper_id in own for entry in section.entries)


def unasked_copy(
    session: Session, candidate: Candidate, label: str, section: str | None, copies: bool, *, digest: str
) -> str | None:
    """Why an approval into `label` would be refused: it would put a paper the list holds elsewhere (by hand, since it
    was found) into one more section unasked; a second copy only when a section is named where it `copies` (the
    command line; not a link, the review page or a reaction, which showed a pending candidate). None when
    it would not. The reason says where it is and how to add it there too; an approval link's page shows it before
    its button is pressed, in these words."""
    if section is not None and copies:
        return None
    elsewhere = ", ".join(liststore.sections_holding(session, candidate.arxiv_id, title_key=candidate.title_key))
    if elsewhere and section is None:
        return (
            f"{candidate.arxiv_id} is already in the list ({elsewhere}): name a section to add it there too, or "
            "reject the candidate"
        )
    if elsewhere:
        command = decide_command("approve", str(candidate.id), label, digest=digest)
        return noted(
            f"{candidate.arxiv_id} is already in the list ({elsewhere}), put there since it was found; nothing was "
            f"changed. To add it to {label} too, run `{command}`, or "
            "reject the candidate"
        )
    return None


def refuse_unasked_copy(
    session: Session, candidate: Candidate, label: str, section: str | None, copies: bool, *, digest: str
) -> None:
    """ReviewError saying `unasked_copy`'s reason when there is one."""
    reason = unasked_copy(session, candidate, label, section, copies, digest=digest)
    if reason is not None:
        raise ReviewError(reason)


def move_approval_entry(
    session: Session, candidate: Candidate, now: datetime, *, keeping: str, digest: str
) -> tuple[bool, liststore.WrittenEntry | None]:
    """remove_approval_entry for an approval into `keeping`, with the entry it took out as the list held it (a
    maintainer's edits in it: a short name, a star badge), for the approval to write so in `keeping`; None for none."""
    paper_id = candidate.paper_id if candidate.status == APPROVED else None
    written = liststore.written_entries(session, paper_id) if paper_id is not None else {}
    moved_here = remove_approval_entry(session, candidate, now, keeping=keeping, digest=digest)
    left = liststore.written_entries(session, paper_id) if written and paper_id is not None else {}
    taken = [text for entry_id, text in written.items() if entry_id not in left]
    return moved_here, taken[0] if len(taken) == 1 else None


def add_candidate_entry(
    session: Session,
    candidate: Candidate,
    section: str,
    now: datetime,
    templates_dir: Path,
    moved: liststore.WrittenEntry | None = None,
) -> Entry:
    """The candidate's entry in `section`, written as an approval writes it (a paper already there is left as is), or
    as `moved`, the entry an approval into another section took out, was written there. A title with no letter or
    digit (a Braille blank, zero-width characters: they pass arXiv's cleaning) is listed as every page names it,
    "Untitled paper, arXiv <id>": a list entry needs a title to link and to know the paper by."""
    title = candidate.title if title_key(candidate.title) else f"{UNTITLED}, arXiv {candidate.arxiv_id}"
    return liststore.add_paper_entry(
        session,
        section_name=section,
        title=title,
        arxiv_id=candidate.arxiv_id,
        url=arxiv_abs_url(candidate.arxiv_id),
        code_url=candidate.code_url,
        published=candidate.published.date() if candidate.published else None,
        authors=list(candidate.authors),
        abstract=candidate.abstract,
        short_name=short_name_for(candidate.title),
        now=now,
        templates_dir=templates_dir,
        moved=moved,
    )


def outcome_of(
    candidate: Candidate, action: str, actor: Actor, changed: bool, message: str, chosen: str | None = None
) -> Outcome:
    """What a decision did, with the candidate's status as it now stands."""
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


def approved_before(
    session: Session, candidate: Candidate, action: str, section: str | None, listed: bool
) -> tuple[str | None, str]:
    """Where an approval naming no section puts back a paper approved before that the list no longer holds (taken out
    by hand): the section it was approved into, while the list has it (its label), else its suggested one (None); and
    what the answer adds to say so ('' when that is the suggested section anyway). Any other decision: `section`, ''."""
    if action != Action.APPROVE or section is not None or candidate.status != APPROVED or listed:
        return section, ""
    earlier, suggested = candidate.decided_section, candidate.suggested_section
    resolved = liststore.resolve_section(session, earlier) if earlier else None
    if resolved is None:
        gone = f"its suggested section: {earlier}, which it was approved into before, is no longer in the list"
        return None, gone if earlier else ""
    label = liststore.label_of(session, resolved)
    wanted = liststore.resolve_section(session, suggested) if suggested else None
    if wanted is not None and liststore.label_of(session, wanted) == label:
        return None, ""
    not_suggested = f", not its suggested {suggested}" if suggested else ""
    return label, f"the section it was approved into before{not_suggested}"


def asked_label(session: Session, candidate: Candidate, action: str, section: str | None) -> str | None:
    """The section a decision not applied asked for, recorded as asked, so catching up knows the reaction as seen."""
    if action != Action.APPROVE:
        return None
    resolved = liststore.resolve_section(session, section or candidate.suggested_section or "")
    return liststore.label_of(session, resolved) if resolved is not None else None


def kept_outcome(
    session: Session,
    candidate: Candidate,
    action: str,
    actor: Actor,
    section: str | None,
    before: Standing | None,
    first_stands: bool,
    superseded: bool,
    digest: str,
) -> Outcome | None:
    """The outcome of a decision that changes nothing, or None when it may be made: with `first_stands`, one that would
    overturn a decision made through another channel (the first stands); a `superseded` one, made before `before`."""
    if before is None:
        return None
    if superseded:
        message = f"not applied: made before the decision that stands ({before.describe()})"
        return outcome_of(candidate, action, actor, False, message, asked_label(session, candidate, action, section))
    if (
        not first_stands
        or before.channel in (None, actor.channel)
        or not overturns(session, candidate, action, section)
    ):
        return None
    label = asked_label(session, candidate, action, section)
    reason = before.stands_over(action, section, digest)
    outcome = outcome_of(candidate, action, actor, False, f"not applied: {reason}", label)
    return replace(outcome, overruled_by=reason)
