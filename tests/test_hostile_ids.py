"""Hostile arXiv identifiers in a feed or typed by a person: an absurd version number, and IDs written in digits of
another script that look like a real paper's ID. Polled from a feed file, added with `digest add` and /suggest."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from digest.arxiv.poll_pass import run_poll
from digest.config import Settings
from digest.storage.db import Database
from digest.storage.models import Candidate
from tests.arxiv_server import FakeClock
from tests.feedbuild import build_rss, load_records

MONDAY = date(2026, 4, 27)
TAMPERED, OTHER = "2506.04706", "2504.11695"  # real multimodal-interpretability papers that are not in the list


def record(arxiv_id: str, **changes: Any) -> dict[str, Any]:
    found = next(r for r in load_records() if r["arxiv_id"] == arxiv_id)
    return {**found, **changes}


def candidates(database: Database) -> dict[str, int]:
    with database.reading() as session:
        return {c.arxiv_id: c.version for c in session.scalars(select(Candidate))}


async def poll(settings: Settings, database: Database, tmp_path: Path, *records: dict[str, Any]) -> str:
    source = tmp_path / "cs.CV.xml"
    source.write_bytes(build_rss("cs.CV", records, MONDAY))
    summary = await run_poll(settings, database, sources=[str(source)], clock=FakeClock())
    return str(summary.outcome)


@pytest.mark.asyncio
async def test_an_absurd_version_number_loses_nothing_of_the_feed(
    settings: Settings, database: Database, tmp_path: Path
) -> None:
    """A feed item claiming version 10^20 made the whole pass fail (OverflowError from the database, or on PostgreSQL
    any version past 2^31), so no paper of that feed was kept until the item left it."""
    outcome = await poll(settings, database, tmp_path, record(TAMPERED, version=10**20), record(OTHER))
    assert outcome == "ok"
    found = candidates(database)
    assert set(found) == {TAMPERED, OTHER}
    assert 1 <= found[TAMPERED] < 2**31
