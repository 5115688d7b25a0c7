"""The set-up of the poller tests: real recorded arXiv papers (relevant and unrelated ones) built into a day's RSS
feed, the settings the poll tests run with, and what a poll stored (candidates, a feed's state)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from digest.config import Settings
from digest.storage.db import Database
from digest.storage.models import Candidate
from digest.storage.state import FeedState
from tests.conftest import make_settings
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


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path / "data", '[arxiv]\ncontact = "maintainers@example.org"\n')


def state(database: Database, source: str) -> FeedState:
    with database.reading() as session:
        found = session.get(FeedState, source)
        assert found is not None
        session.expunge_all()
        return found
