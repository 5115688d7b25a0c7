"""The set-up of the tests that run the service on PostgreSQL: settings whose database is a fresh one on the
throwaway server (tests/postgres_server.py), the service's database on it, and real arXiv papers to poll."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from digest.config import Settings
from digest.review.rules import Actor
from digest.service.wiring import open_service_database
from digest.storage.db import Database
from tests.conftest import make_settings
from tests.feedbuild import build_rss, load_records

RELEVANT = ["2506.04706", "2504.11695", "2505.14071"]  # real multimodal-interpretability papers not in the list
UNRELATED = ["2601.06959", "2601.07648"]
ANN = Actor("ann", "1001", "cli")


def pg_settings(tmp_path: Path, url: str, config: str = "", **environ: str) -> Settings:
    return make_settings(tmp_path / "data", config, environ={"DIGEST_DATABASE_URL": url, **environ})


@pytest.fixture
def settings(tmp_path: Path, postgres_url: str) -> Settings:
    return pg_settings(tmp_path, postgres_url, '[arxiv]\ncontact = "maintainers@example.org"\n')


@pytest.fixture
def database(settings: Settings) -> Iterator[Database]:
    db = open_service_database(settings)
    yield db
    db.dispose()


def rss(*ids: str) -> bytes:
    by_id = {record["arxiv_id"]: record for record in load_records()}
    return build_rss("cs.CV", [by_id[i] for i in ids], datetime(2026, 4, 27).date())
