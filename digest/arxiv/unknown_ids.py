"""The IDs the list links that arXiv answered without a paper, and when: kept apart from `api` (and its aiohttp), so
that `digest list lint` names them without loading the network client."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from digest.clock import as_utc
from digest.storage.state import RelevanceState

# An ID the list links that arXiv answered with no paper for is asked again after this many days, not at every poll
# (a typo stays one; a paper arXiv had not announced yet is found then). `digest list lint` names it meanwhile.
UNKNOWN_RETRY_DAYS = 7
UNKNOWN_IDS_KEY = "unknown_arxiv_ids"  # the relevance_state row: list ID -> when arXiv answered it without a paper


def unknown_ids(session: Session) -> dict[str, datetime]:
    """The IDs the list links that arXiv had no paper for when last asked, and when that was."""
    row = session.get(RelevanceState, UNKNOWN_IDS_KEY)
    asked = dict(row.value) if row is not None else {}
    return {str(arxiv_id): as_utc(datetime.fromisoformat(str(when))) for arxiv_id, when in asked.items()}
