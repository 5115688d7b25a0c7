"""The maintainers' "Worth a look": pending candidates just under the review threshold, first seen in the week, each
with why it was flagged and a signed link approving it into its suggested section (weekly/contents.py reads the rest
of the week)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from digest.awesome import store as liststore
from digest.config import Settings, secretstore
from digest.relevance.why import why_from_json
from digest.review.signing import approval_signer
from digest.review.suggestions import suggestions_now
from digest.storage.models import Candidate, in_second_tier
from digest.weekly.issue import PendingPaper


def shown_now(session: Session, names: Iterable[str | None]) -> Callable[[str | None], str | None]:
    """Each suggested section as the list has it now (review.suggestions: renamed, taken out, or a name sections
    share), said alike in the email, Discord, the feed and the review page; None for no suggestion."""
    now = suggestions_now(session, names)
    return lambda name: now[name].shown() if name and name in now else None


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
    now = suggestions_now(session, [candidate.suggested_section for candidate in found])
    # A paper a maintainer put in the list by hand since it was found: approved where the list holds it (as the
    # review page offers), an approval into another section being refused.
    held = liststore.sections_holding_each(session, [(c.arxiv_id, c.title_key) for c in found])
    papers = []
    for candidate in found:
        listed = held.get(candidate.arxiv_id, [])
        # Named as the list has it now; a section it no longer has would fail the approval: no link then, the
        # suggestion said as it stands (the email says to run `digest approve`). A name sections share gets a link into
        # each of them, as the feed and the review page offer them: the maintainer picks the one it belongs in.
        suggestion = None if listed else now.get(candidate.suggested_section or "")
        label = listed[0] if listed else suggestion.label if suggestion else None
        section = label or (suggestion.shown() if suggestion else None)
        sign = approval_signer(settings.web.base_url, key, candidate.id, candidate.arxiv_id, expires, emailed=True)
        url = sign("approve", label) if label else None
        each = [(name, sign("approve", name)) for name in suggestion.sharing] if suggestion and not label else []
        why = why_from_json(candidate.why).lines()
        if listed:
            why = [f"already in the list ({', '.join(listed)}), put there since it was found", *why]
        papers.append(PendingPaper(candidate.title, candidate.arxiv_id, candidate.score, section, why, url, each))
    return papers
