"""Where a decided candidate is in the list now, by the list's labels: a heading renamed since the decision, a paper
moved by hand. Loads no templates (`digest candidates` reads it, and must start without Jinja)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from digest.awesome.holding import sections_holding_each, sections_holding_papers
from digest.awesome.labelled import Labelled, labelled_or_read, labelled_sections
from digest.awesome.sectionnames import SectionMatcher
from digest.storage.models import APPROVED, Candidate


def sections_now(session: Session, candidates: Sequence[Candidate], labelled: Labelled | None = None) -> dict[int, str]:
    """`section_now` of each candidate, by id (those it tells nothing of left out), reading the list's sections once
    (`labelled`: read already) and the papers' entries in one query: a page of 200 decided cards asked twice each for
    every section."""
    labelled = labelled_or_read(session, labelled)
    labels = [label for _, label in labelled]
    matcher = SectionMatcher([(section.name, section.slug) for section, _ in labelled], labels)
    resolved: dict[str, str | None] = {}  # each recorded name matched once
    found: dict[int, str] = {}
    unresolved: list[Candidate] = []
    for candidate in candidates:
        recorded = candidate.decided_section
        if recorded and recorded not in resolved:
            index = matcher.match(recorded)
            resolved[recorded] = None if index is None else labels[index]
        label = resolved[recorded] if recorded else None
        if label is not None:
            found[candidate.id] = label
        elif candidate.paper_id:
            unresolved.append(candidate)
    if unresolved:
        holding = sections_holding_papers(session, [c.paper_id for c in unresolved if c.paper_id], labelled)
        for candidate in unresolved:
            held = holding.get(candidate.paper_id or 0, [])
            if len(held) == 1:
                found[candidate.id] = held[0]
    return found


def approved_where_now(session: Session, candidates: Sequence[Candidate]) -> dict[int, list[str]]:
    """Where the list holds each approved candidate's paper now, by id: the labels of the sections its entries are in,
    in the list's order (a heading renamed since, or the paper moved by hand, shows where it is, not the name the
    decision recorded); only the section the decision names now when that is one of them (the paper also listed
    elsewhere by hand). Empty when the list no longer holds it; candidates not approved are left out."""
    approved = [candidate for candidate in candidates if candidate.status == APPROVED]
    if not approved:
        return {}
    labelled = labelled_sections(session)
    return _held(session, approved, sections_now(session, approved, labelled), labelled)


def decided_where_now(
    session: Session, candidates: Sequence[Candidate], labelled: Labelled | None = None
) -> dict[int, str | None]:
    """The section each decided candidate is said to have gone into, by id, alike on the review page's card and in its
    Discord message: where the list holds an approved one's paper now (`approved_where_now`, as `digest candidates`
    says it); when it holds it nowhere (or the candidate is not approved), the list's name for the decision's section
    (`sections_now`), else the name recorded. The list's sections are read once for all of them (`labelled`: read
    already)."""
    labelled = labelled_or_read(session, labelled)
    named = sections_now(session, candidates, labelled)
    approved = [candidate for candidate in candidates if candidate.status == APPROVED]
    held = _held(session, approved, named, labelled) if approved else {}
    return {c.id: ", ".join(held.get(c.id, [])) or named.get(c.id) or c.decided_section for c in candidates}


def _held(
    session: Session,
    approved: Sequence[Candidate],
    named: dict[int, str],
    labelled: Labelled | None = None,
) -> dict[int, list[str]]:
    """`approved_where_now` of the approved candidates, given their `sections_now`."""
    holding = sections_holding_each(session, [(c.arxiv_id, c.title_key) for c in approved], labelled)
    found: dict[int, list[str]] = {}
    for candidate in approved:
        held = holding.get(candidate.arxiv_id, [])
        recorded = named.get(candidate.id)
        found[candidate.id] = [recorded] if recorded in held else held
    return found


def moved_by_hand(session: Session, candidate: Candidate) -> tuple[str, list[str]] | None:
    """(the decision's section as the list names it now, the sections holding the paper now) of an approved candidate
    whose paper a maintainer moved by hand since: the list holds it, not in the section the decision names (a heading
    renamed since is no move). None otherwise: not approved, in its section, or no longer in the list."""
    if candidate.status != APPROVED or not candidate.decided_section:
        return None
    labelled = labelled_sections(session)
    labels = [label for _, label in labelled]
    index = SectionMatcher([(section.name, section.slug) for section, _ in labelled], labels).match(
        candidate.decided_section
    )
    held = sections_holding_each(session, [(candidate.arxiv_id, candidate.title_key)], labelled)
    held_now = held.get(candidate.arxiv_id, [])
    if index is None or not held_now or labels[index] in held_now:
        return None
    return labels[index], held_now
