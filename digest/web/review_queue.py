"""Which candidates a /review page shows, and how many match its filters in all: SQL narrows what it can say alike
on SQLite and PostgreSQL, and the rest (authors, sections, titles beyond ASCII) is matched here."""

from __future__ import annotations

from sqlalchemy import LargeBinary, Select, cast, func, or_, select
from sqlalchemy.orm import Session

from digest.review.queries import DECIDED_ORDER, PENDING_ORDER, Order, after_candidate, ordered, pending_query
from digest.storage.models import PENDING, Candidate
from digest.text import may_name_untitled, readable_title
from digest.web.review_filters import MAX_BATCH, ReviewFilter, candidate_matches

# ?sort= but the best first: by the day the poll found them (the id tells apart those found in one poll).
FOUND_ORDERS: dict[str, Order] = {
    "oldest": ((Candidate.first_seen_at, False), (Candidate.id, False)),
    "newest": ((Candidate.first_seen_at, True), (Candidate.id, True)),
}
SCANNED = 1000  # rows read at a time while the filters look through the candidates; at most MAX_BATCH are shown


def queue_page_of(session: Session, chosen: ReviewFilter) -> tuple[list[Candidate], int]:
    """The first MAX_BATCH candidates that match, in the page's order, and how many match in all.

    With no text to match (the queue as it opens, or narrowed by status and score alone), SQL counts them and reads
    only the page: a year's backlog of 2,400 was read row by row on every load to be counted. Otherwise every
    candidate SQL leaves is read (its few columns the filters look at, SCANNED rows at a time), since authors,
    sections and titles beyond ASCII are matched here: a thousand read and filtered missed a low-scored paper by the
    author searched for in a longer queue, and counted at most a thousand. Only the shown are read whole."""
    query = _narrowed_in_sql(session, chosen)
    if not (chosen.title or chosen.author or chosen.section):  # SQL has judged every filter asked for
        total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
        return list(session.scalars(query.limit(MAX_BATCH))), total
    columns = query.with_only_columns(
        Candidate.id,
        Candidate.title,
        Candidate.arxiv_id,
        Candidate.authors,
        Candidate.decided_section,
        Candidate.suggested_sections,
        Candidate.score,
        Candidate.status,
    ).execution_options(yield_per=SCANNED)
    matched = [
        row.id
        for row in session.execute(columns)
        if candidate_matches(
            chosen,
            title=readable_title(row.title, row.arxiv_id),  # as the card shows it: a blank title reads "Untitled..."
            arxiv_id=row.arxiv_id,
            authors=row.authors or [],
            sections=[row.decided_section, *(row.suggested_sections or [])],
            score=row.score,
            status=row.status,
        )
    ]
    shown = matched[:MAX_BATCH]
    found = {candidate.id: candidate for candidate in session.scalars(select(Candidate).where(Candidate.id.in_(shown)))}
    return [found[number] for number in shown if number in found], len(matched)


def _narrowed_in_sql(session: Session, chosen: ReviewFilter) -> Select[tuple[Candidate]]:
    """The candidates of the chosen status, in the page's order, past `after` on a later page, narrowed by what SQL
    can judge of the other filters."""
    order = FOUND_ORDERS.get(chosen.sort) or (PENDING_ORDER if chosen.status == "pending" else DECIDED_ORDER)
    if chosen.status == "pending":  # what waits for a maintainer, in the chosen order
        query = ordered(pending_query().order_by(None), order)
    elif chosen.status == "all":
        query = ordered(select(Candidate).where(or_(Candidate.status != PENDING, Candidate.relevant.is_(True))), order)
    else:
        query = ordered(select(Candidate).where(Candidate.status == chosen.status), order)
    if chosen.after is not None:  # a later page: the rows past the last card of the one before, in the page's order
        query = query.where(after_candidate(session, order, chosen.after))
    # What SQL can say alike on SQLite and PostgreSQL is asked there; the rest (authors, sections, and titles beyond
    # ASCII: lower() folds those by the server's locale, the Kelvin sign to "k" under ICU and not on SQLite, and
    # neither folds "ﬁ" to "fi" as the filter does) is filtered by queue_page_of.
    # A blank title is searched as the card reads it ("Untitled paper, arXiv <id>"), which SQL cannot see.
    if chosen.title and chosen.title.isascii() and not may_name_untitled(chosen.title):
        query = query.where(
            or_(
                Candidate.title.icontains(chosen.title, autoescape=True),
                Candidate.arxiv_id.icontains(chosen.title, autoescape=True),
                func.length(cast(Candidate.title, LargeBinary)) != func.length(Candidate.title),  # beyond ASCII
            )
        )
    if chosen.score_min is not None:
        query = query.where(Candidate.score >= chosen.score_min)
    if chosen.score_max is not None:
        query = query.where(Candidate.score <= chosen.score_max)
    return query
