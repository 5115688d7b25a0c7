"""A big week for the weekly email tests: papers of the shared haystack sample approved in 2026-W48, enough of them
that the email's HTML would pass the size at which Gmail clips a message."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from digest.storage.db import Database
from digest.storage.models import APPROVED
from tests.conftest import DATA_DIR
from tests.factories import insert_candidate

NOW = datetime(2026, 11, 30, 7, 0, tzinfo=UTC)  # Monday 08:00 in Berlin: 2026-W48 is the last complete week
MONDAY = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def haystack(count: int) -> list[dict[str, object]]:
    lines = (DATA_DIR / "relevance_haystack_sample.jsonl").read_text(encoding="utf-8").splitlines()[:count]
    return [
        {"published": "2026-11-20T00:00:00", "authors": ["Ada Lovelace", "Alan Turing"], **json.loads(line)}
        for line in lines
    ]


def approve_in_week(database: Database, records: list[dict[str, object]]) -> None:
    for index, record in enumerate(records):
        when = MONDAY + timedelta(minutes=index)
        insert_candidate(
            database,
            record,
            status=APPROVED,
            decided_at=when,
            decided_section="Steering",
            first_seen_at=when,
            updated_at=when,
            code_url="https://github.com/example/code",
        )
