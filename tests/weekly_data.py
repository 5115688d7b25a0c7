"""A week of review activity for the weekly digest tests: real arXiv records (tests/data/weekly_papers.jsonl,
copied from the shared haystack) inserted as candidates, three approved through the real Reviewer in ISO week
2026-W48 (Monday 23 – Sunday 29 November 2026), one approved the week before, one rejected, five left pending.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any

from digest.config import Settings
from digest.review.reviewer import Reviewer
from digest.review.rules import Actor
from digest.storage.db import Database
from digest.storage.models import Candidate
from digest.titles import title_key
from digest.weekly.issue import IsoWeek
from tests.conftest import DATA_DIR

WEEK = IsoWeek(2026, 48)
PAPERS: dict[str, dict[str, Any]] = {
    record["arxiv_id"]: record
    for record in map(json.loads, (DATA_DIR / "weekly_papers.jsonl").read_text(encoding="utf-8").splitlines())
}
# (arXiv ID, section, when approved). 2026-11-22 23:30 UTC is Monday 00:30 in Berlin: inside W48 only there.
APPROVED_IN_WEEK = (
    ("2502.20578", "Sparse Autoencoder", datetime(2026, 11, 22, 23, 30, tzinfo=UTC)),
    ("2505.17425", "Attention", datetime(2026, 11, 25, 14, 0, tzinfo=UTC)),
    ("2505.14071", "Steering", datetime(2026, 11, 29, 22, 30, tzinfo=UTC)),
)
APPROVED_BEFORE = ("2503.18762", "Attention", datetime(2026, 11, 18, 10, 0, tzinfo=UTC))
REJECTED_IN_WEEK = ("2510.17002", datetime(2026, 11, 24, 8, 0, tzinfo=UTC))
PENDING = (  # arXiv ID, score, suggested section
    ("2507.18043", 0.91, "Steering"),
    ("2501.02029", 0.84, "Attention"),
    ("2503.09046", 0.77, "Neuron Analysis"),
    ("2410.00318", 0.62, "Probing"),
    ("2412.02946", 0.55, "Causal Tracing"),
)
SEEN_IN_WEEK = datetime(2026, 11, 23, 6, 0, tzinfo=UTC)
SEEN_BEFORE = datetime(2026, 11, 16, 6, 0, tzinfo=UTC)
HOSTILE_PREFIX = "<script>alert('x')</script> & "


def code_url_in(abstract: str) -> str | None:
    """The code link some abstracts carry (the real one, from the paper's own text)."""
    match = re.search(r"https://github\.com/[\w.-]+/[\w-]+", abstract)
    return match.group(0) if match else None


def insert_candidate(
    database: Database,
    arxiv_id: str,
    *,
    seen: datetime,
    score: float = 0.8,
    section: str | None = None,
    title_prefix: str = "",
    title: str | None = None,
    abstract: str | None = None,
) -> int:
    """The paper `arxiv_id` of weekly_data's PAPERS as a candidate, its title after `title_prefix` (or `title`, its
    abstract `abstract`, given instead of its own)."""
    record = PAPERS[arxiv_id]
    title = title_prefix + record["title"] if title is None else title
    with database.transaction() as session:
        candidate = Candidate(
            arxiv_id=arxiv_id,
            title=title,
            title_key=title_key(title),
            authors=[],
            abstract=record["abstract"] if abstract is None else abstract,
            categories=list(record["categories"]),
            published=datetime.fromisoformat(record["published"]).replace(tzinfo=UTC),
            code_url=code_url_in(record["abstract"]),
            score=score,
            suggested_section=section,
            suggested_sections=[section] if section else [],
            first_seen_at=seen,
            updated_at=seen,
        )
        session.add(candidate)
        session.flush()
        return candidate.id


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def decide(database: Database, settings: Settings, candidate_id: int, action: str, when: datetime) -> None:
    Reviewer(database, settings, Clock(when)).decide(candidate_id, action, Actor("ann", None, "cli"))


def fill_week(database: Database, settings: Settings, *, hostile: bool = False) -> None:
    """The week's activity; with `hostile`, the first approved title starts with a <script> tag and an '&'."""
    for index, (arxiv_id, section, when) in enumerate(APPROVED_IN_WEEK):
        prefix = HOSTILE_PREFIX if hostile and index == 0 else ""
        candidate = insert_candidate(database, arxiv_id, seen=SEEN_IN_WEEK, section=section, title_prefix=prefix)
        decide(database, settings, candidate, "approve", when)
    arxiv_id, section, when = APPROVED_BEFORE
    decide(database, settings, insert_candidate(database, arxiv_id, seen=SEEN_BEFORE, section=section), "approve", when)
    arxiv_id, when = REJECTED_IN_WEEK
    decide(database, settings, insert_candidate(database, arxiv_id, seen=SEEN_IN_WEEK, score=0.2), "reject", when)
    for arxiv_id, score, section in PENDING:
        insert_candidate(database, arxiv_id, seen=SEEN_IN_WEEK, score=score, section=section)
