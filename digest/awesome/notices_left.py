"""What the polls told of papers that have left the list (arxiv/notices.py), forgotten as they leave: a paper put back
is the maintainers' anew, and a withdrawn or retitled version of it is told again; unless a maintainer dismissed that
notice on /review, who has been told of that version already."""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from digest.awesome.listed_ids import known_keys, linked_ids
from digest.storage.poll_state import ListNotice

_IN_CHUNK = 500  # stay under every database's bound-parameter limit


def forget_notices_left(session: Session) -> int:
    """Deletes the notices no one dismissed of papers the list no longer holds or links, in the caller's transaction;
    of how many papers."""
    told = set(session.scalars(select(ListNotice.arxiv_id).where(ListNotice.dismissed_at.is_(None))))
    if not told:
        return 0
    session.flush()  # the entries just taken out are gone from what known_keys and linked_ids read
    gone = sorted(told - set(known_keys(session).arxiv_ids) - linked_ids(session))
    for start in range(0, len(gone), _IN_CHUNK):
        session.execute(
            delete(ListNotice).where(
                ListNotice.arxiv_id.in_(gone[start : start + _IN_CHUNK]), ListNotice.dismissed_at.is_(None)
            )
        )
    return len(gone)
