"""The set-up of the poller tests: real recorded arXiv papers (relevant and unrelated ones) built into a day's RSS
feed, and the candidates a poll stored."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select

from digest.storage.db import Database
from digest.storage.models import Candidate
from tests.feedbuild import build_rss, load_records

MONDAY = date(2026, 4, 27)
RSS = "rss/"
RELEVANT = ["2506.04706", "2504.11695", "2505.14071"]  # real multimodal-interpretability papers not in the list
UNRELATED = ["2601.06959", "2601.07648", "2601.05114", "2601.08129"]


def records(*ids: str, **changes: Any) -> list[dict[str, Any]]:
    by_id = {record["arxiv_id"]: record for record in load_records()}
    return [{**by_id[i], **changes} for i in ids]


def feed(*ids: str, day: date = MONDAY, category: str = "cs.CV", **changes: Any) -> bytes:
    return build_rss(category, records(*ids, **changes), day)


def candidates(database: Database) -> dict[str, Candidate]:
    with database.reading() as session:
        found = {c.arxiv_id: c for c in session.scalars(select(Candidate))}
        session.expunge_all()  # keep the loaded values after the read-only session rolls back
        return found
