"""A list stored by an older release's reading of the Markdown is read again by this one when the database is next
opened: the bytes do not change, and lines this release reads as text (an entry commented out) leave the entries."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from sqlalchemy import delete, select

from digest.awesome import store as liststore
from digest.awesome.reading import META_KEY
from digest.resources import seed_list_path
from digest.service.wiring import open_service_database
from digest.storage.db import Database
from digest.storage.models import Entry, ListMeta, Paper
from tests.conftest import make_settings

HIDDEN = "<!--\n+ **Hidden Paper** [A Paper We Took Out](https://arxiv.org/abs/2412.00001) (Dec. 1, 2024)\n-->\n\n"
ANCHOR = "+ **Attention Lens** [Devils in Middle Layers"


def listed(database: Database) -> set[str]:
    with database.reading() as session:
        return set(session.scalars(select(Paper.arxiv_id).join(Entry, Entry.paper_id == Paper.id)))


def stored_by_an_older_reading(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, bytes]:
    """A data folder whose list was imported by a reading that did not know HTML comments (as the release before
    this one): the commented-out paper was stored as an entry, and the store says nothing of its reading."""
    settings = make_settings(tmp_path / "data")
    text = seed_list_path().read_text(encoding="utf-8")
    at = text.index(ANCHOR)
    edited = (text[:at] + HIDDEN + text[at:]).encode("utf-8")
    database = open_service_database(settings)
    try:
        with monkeypatch.context() as older:
            older.setattr("digest.awesome.parse.hidden_lines", lambda lines: [False] * len(lines))
            with database.transaction() as session:
                liststore.import_markdown(session, edited, source="edited.md")
        with database.transaction() as session:
            session.execute(delete(ListMeta).where(ListMeta.key == META_KEY))
        assert "2412.00001" in listed(database)
    finally:
        database.dispose()
    return settings.data_dir, edited


def test_the_upgrade_reads_the_stored_list_again_and_says_what_left(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    data_dir, edited = stored_by_an_older_reading(tmp_path, monkeypatch)
    settings = make_settings(data_dir)
    with caplog.at_level(logging.WARNING, logger="digest.service.wiring"):
        database = open_service_database(settings)
    try:
        assert "2412.00001" not in listed(database)  # commented out: no longer a list paper
        with database.reading() as session:
            assert liststore.render_markdown(session, settings.templates_dir).encode("utf-8") == edited  # same bytes
            report = liststore.import_markdown(session, edited, source="again")
            session.rollback()
        assert not report.changed  # importing the file again changes nothing
    finally:
        database.dispose()
    lines = [record.getMessage() for record in caplog.records]
    assert len(lines) == 1 and "1 no longer entries: A Paper We Took Out" in lines[0]
    # Read once: the next opening finds the list already in this release's reading and says nothing.
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="digest.service.wiring"):
        open_service_database(settings).dispose()
    assert caplog.records == []
