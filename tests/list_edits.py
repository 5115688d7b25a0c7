"""The set-up of the tests of hand edits to the list: the bundled seed's text, the list as written and imported
again, a real paper (dated as a test needs) approved into a section, and a data folder seeded with a list of the
test's own (`own_list`)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from digest.awesome import store as liststore
from digest.config import Settings
from digest.review.reviewer import Reviewer
from digest.review.rules import Actor
from digest.service.wiring import open_service_database
from digest.storage.db import Database
from tests.conftest import make_settings
from tests.factories import insert_candidate, real_papers

NOW = datetime(2026, 11, 25, 9, 30, tzinfo=UTC)  # in ISO week 2026-W48
ANN = Actor("ann", "1001", "cli")


def seed_text(settings: Settings) -> str:
    return settings.seed_list.read_text(encoding="utf-8")


def markdown(database: Database, settings: Settings) -> str:
    with database.reading() as session:
        return liststore.render_markdown(session, settings.templates_dir)


def reimport(database: Database, text: str) -> liststore.ImportReport:
    with database.transaction() as session:
        return liststore.import_markdown(session, text.encode("utf-8"), source="edited.md", now=NOW)


def approve(database: Database, settings: Settings, record: dict[str, Any], section: str) -> None:
    candidate_id = insert_candidate(database, record)
    Reviewer(database, settings, clock=lambda: NOW).decide(candidate_id, "approve", ANN, section=section)


def paper_dated(index: int, published: str) -> dict[str, Any]:
    record = dict(real_papers()[index])
    record["published"] = published
    return record


@pytest.fixture
def own_list(tmp_path: Path) -> Iterator[Any]:
    """A new data folder seeded with a list of the test's own (`seed_list`), and its database."""
    opened: list[Database] = []

    def make(text: str | bytes) -> tuple[Settings, Database]:
        seed = tmp_path / "seed.md"
        seed.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
        settings = make_settings(tmp_path / "data", f'seed_list = "{seed}"\n')
        database = open_service_database(settings)
        opened.append(database)
        return settings, database

    yield make
    for database in opened:
        database.dispose()
