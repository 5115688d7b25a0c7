"""Candidate rows made from real arXiv records (tests/data/review_papers.jsonl), for tests that start after a poll;
and the decisions recorded on them, as the database holds them."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select

from digest.config import Settings
from digest.storage.db import Database
from digest.storage.models import PENDING, Candidate, Decision
from digest.titles import title_key
from tests.conftest import DATA_DIR, make_settings

SEEN_AT = datetime(2026, 11, 23, 6, 0, tzinfo=UTC)


def real_papers() -> list[dict[str, Any]]:
    with (DATA_DIR / "review_papers.jsonl").open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle]


def insert_candidate(database: Database, record: dict[str, Any], **overrides: Any) -> int:
    published = datetime.fromisoformat(record["published"]).replace(tzinfo=UTC)
    fields: dict[str, Any] = {
        "arxiv_id": record["arxiv_id"],
        "version": 1,
        "title": record["title"],
        "title_key": title_key(record["title"]),
        "authors": record.get("authors") or [],
        "abstract": record["abstract"],
        "categories": record.get("categories") or ["cs.CV"],
        "announce_type": "new",
        "published": published,
        "score": 0.9,
        "matched": ["sparse autoencoder", "vision"],
        "suggested_section": "Sparse Autoencoder",
        "suggested_sections": ["Sparse Autoencoder", "Steering"],
        "source_feeds": ["https://rss.arxiv.org/rss/cs.CV"],
        "status": PENDING,
        "first_seen_at": SEEN_AT,
        "updated_at": SEEN_AT,
    }
    fields.update(overrides)
    if "title" in overrides:
        fields["title_key"] = title_key(overrides["title"])
    with database.transaction() as session:
        candidate = Candidate(**fields)
        session.add(candidate)
        session.flush()
        return candidate.id


def with_candidates(data_dir: Path, papers: list[dict[str, Any]]) -> tuple[Settings, list[int]]:
    """The data folder's settings, and the papers stored in it as pending candidates (their ids, in order)."""
    from digest.service.wiring import open_service_database

    settings = make_settings(data_dir)
    database = open_service_database(settings)
    try:
        return settings, [insert_candidate(database, paper) for paper in papers]
    finally:
        database.dispose()


def decision_actions(database: Database, candidate_id: int | None = None) -> list[str]:
    """The actions of the recorded decisions (of `candidate_id` alone when given), oldest first."""
    query = select(Decision.action).order_by(Decision.id)
    if candidate_id is not None:
        query = query.where(Decision.candidate_id == candidate_id)
    with database.reading() as session:
        return list(session.scalars(query))
