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
from digest.service.wiring import open_service_database
from digest.storage.db import Database
from digest.storage.models import Candidate
from tests.arxiv_server import FakeClock
from tests.conftest import make_settings
from tests.feedbuild import build_rss, load_records

MONDAY = date(2026, 4, 27)
TAMPERED, OTHER = "2506.04706", "2504.11695"  # real multimodal-interpretability papers that are not in the list


def record(paper: str, **changes: Any) -> dict[str, Any]:
    found = next(r for r in load_records() if r["arxiv_id"] == paper)
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


def lookalike(arxiv_id: str, digits: str) -> str:
    """The ID written with another script's digits: '2506.04706' in fullwidth or Arabic-Indic digits."""
    return "".join(digits[int(ch)] if ch.isdigit() else ch for ch in arxiv_id)


FULLWIDTH = "０１２３４５６７８９"
ARABIC_INDIC = "٠١٢٣٤٥٦٧٨٩"


@pytest.mark.asyncio
async def test_an_id_in_lookalike_digits_is_not_a_second_paper(
    settings: Settings, database: Database, tmp_path: Path
) -> None:
    """A feed item whose ID reads like a known paper's but is written in other digits became a second candidate for
    the same paper (the dedupe compares IDs), posted for review with an arXiv link that looks right and goes nowhere.
    """
    assert await poll(settings, database, tmp_path, record(TAMPERED)) == "ok"
    copies = [record(TAMPERED, arxiv_id=lookalike(TAMPERED, digits)) for digits in (FULLWIDTH, ARABIC_INDIC)]
    assert await poll(settings, database, tmp_path, *copies, record(OTHER)) == "ok"
    assert set(candidates(database)) == {TAMPERED, OTHER}


@pytest.mark.parametrize(
    "given",
    [
        lookalike("2501.01234", FULLWIDTH),
        lookalike("2501.01234", ARABIC_INDIC),
        "https://arxiv.org/abs/２５０１.０１２３４",
    ],
)
def test_digest_add_refuses_an_id_in_lookalike_digits(
    data_dir: Path, capsys: pytest.CaptureFixture[str], given: str
) -> None:
    """`digest add`, /review's field, Discord's /add and the readers' /suggest took such an ID for an arXiv ID and
    asked arXiv for it; it is not one, so it is a usage error like any other text."""
    from tests.add_command import add, state

    open_service_database(make_settings(data_dir)).dispose()
    before = state(data_dir)
    status, requests = add(data_dir, given)
    assert status == 2 and requests == []
    assert "is not an arXiv ID or URL" in capsys.readouterr().err
    assert state(data_dir) == before
