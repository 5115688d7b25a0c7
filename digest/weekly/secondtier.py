"""The maintainers' "Worth a look": pending candidates just under the review threshold, first seen in the week, each
with why it was flagged and a signed link approving it into its suggested section (weekly/contents.py reads the rest
of the week)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from digest.awesome import store as liststore
from digest.awesome.sectionnames import SectionMatcher
from digest.config import Settings, secretstore
from digest.relevance.why import why_from_json
from digest.review.signing import approval_signer
from digest.storage.models import Candidate, in_second_tier
from digest.weekly.issue import PendingPaper


def section_named(session: Session) -> Callable[[str | None], str | None]:
    """The label of the section a name means now, as an approval finds it (a heading renamed since is found by its old
    name), or None: no name, a section the list no longer has, or a name it repeats ("Probing" in each year's block).
    """
    labelled = liststore.labelled_sections(session)
    labels = [label for _, label in labelled]
    matcher = SectionMatcher([(section.name, section.slug) for section, _ in labelled], labels)

    def named(name: str | None) -> str | None:
        index = matcher.match(name) if name else None
        return None if index is None else labels[index]

    return named


def second_tier(
    session: Session, settings: Settings, start: datetime, end: datetime, expires: datetime
) -> list[PendingPaper]:
    """The "Worth a look" papers: pending candidates just under the review threshold (`in_second_tier`) first seen in
    the week, best first, with why they were flagged and the private feed's signed link approving the suggested section.
    """
    query = (
        select(Candidate)
        .where(in_second_tier())
        .where(Candidate.first_seen_at >= start, Candidate.first_seen_at < end)
        .order_by(Candidate.score.desc(), Candidate.first_seen_at, Candidate.id)
        .limit(max(settings.weekly.second_tier_top, 0))
    )
    found = list(session.scalars(query))
    if not found:
        return []
    # The web app's key, which checks the link: the environment's, else the data folder's (generated once).
    key = (settings.secrets.secret_key or secretstore.ensure_secrets(settings).secret_key).get_secret_value()
    named = section_named(session)
    # A paper a maintainer put in the list by hand since it was found: approved where the list holds it (as the
    # review page offers), an approval into another section being refused.
    held = liststore.sections_holding_each(session, [(c.arxiv_id, c.title_key) for c in found])
    papers = []
    for candidate in found:
        listed = held.get(candidate.arxiv_id, [])
        wanted = listed[0] if listed else candidate.suggested_section
        # Named as the list has it now; a section it no longer has (or repeats) would fail the approval: no link then
        # (the email says to run `digest approve`).
        label = named(wanted)
        section = label or wanted
        sign = approval_signer(settings.web.base_url, key, candidate.id, candidate.arxiv_id, expires, emailed=True)
        url = sign("approve", label) if label else None
        why = why_from_json(candidate.why).lines()
        if listed:
            why = [f"already in the list ({', '.join(listed)}), put there since it was found", *why]
        papers.append(PendingPaper(candidate.title, candidate.arxiv_id, candidate.score, section, why, url))
    return papers
