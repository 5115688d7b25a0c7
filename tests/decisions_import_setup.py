"""The set-up `digest decisions import|list`'s tests share: real papers, the data folder with the bundled list, the
command, and the verdicts stored."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from digest.cli import main
from digest.storage.db import Database
from digest.storage.state import TrainingDecision
from tests.factories import real_papers

PAPERS = real_papers()


@pytest.fixture(name="data_dir")
def data_dir_with_the_list(data_dir: Path, database: Database) -> Path:
    """The data folder the `database` fixture opened (the bundled list in it), for the command line to work on."""
    return data_dir


def digest(data_dir: Path, *args: str) -> int:
    return main(["--data-dir", str(data_dir), *args])


def stored(database: Database) -> dict[str, tuple[bool, str | None, str, str]]:
    """arxiv_id -> (approved, section, title, source), read in a session opened after the command ran."""
    with database.reading() as session:
        rows = session.scalars(select(TrainingDecision))
        return {row.arxiv_id: (row.approved, row.section, row.title, row.source) for row in rows}


def exported(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> bytes:
    assert digest(data_dir, "list", "export") == 0
    return capsys.readouterr().out.encode("utf-8")
