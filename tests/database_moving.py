"""A used deployment and what a maintainer reads from it, for the tests of moving a data folder to another database
(`digest database copy`, and what a command given the old one says)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from digest.cli import main
from digest.review.reviewer import Reviewer
from digest.review.rules import Actor
from digest.service.wiring import open_service_database
from tests.conftest import make_settings
from tests.factories import insert_candidate, real_papers

ANN = Actor("ann", None, "cli")


def old_deployment(folder: Path, database_url: str | None = None) -> Path:
    """A used data folder (its database a SQLite file, or `database_url`): the bundled list, candidates, an approval,
    a rejection and an undo; the file."""
    settings = make_settings(folder, environ={"DIGEST_DATABASE_URL": database_url} if database_url else None)
    database = open_service_database(settings)
    try:
        ids = [insert_candidate(database, record) for record in real_papers()[:4]]
        reviewer = Reviewer(database, settings)
        reviewer.decide(ids[0], "approve", ANN, "Steering")
        reviewer.decide(ids[1], "reject", Actor("bob", "42", "discord"))
        reviewer.decide(ids[2], "reject", ANN)
        reviewer.decide(ids[2], "revert", ANN)
    finally:
        database.dispose()
    return folder / "digest.sqlite3"


def seen(capsys: pytest.CaptureFixture[str], folder: Path, *args: str) -> str:
    """What a maintainer reads from a command on that data folder."""
    capsys.readouterr()
    assert main(["--data-dir", str(folder), *args]) == 0
    return capsys.readouterr().out


@pytest.fixture(params=["sqlite", "postgresql"])
def target_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'new.sqlite3'}"
    else:
        yield request.getfixturevalue("postgres_url")
