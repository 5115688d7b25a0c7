"""Stored times: always UTC, and always read back aware, whatever the database keeps."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import insert, inspect, select, text

from digest.awesome import store as liststore
from digest.config import Settings
from digest.service.wiring import open_service_database
from digest.storage.db import Database, alembic_config, create_database_engine, open_database
from digest.storage.models import Base, ListMeta
from digest.storage.state import PollRun
from tests.conftest import make_settings


def test_times_come_back_aware_in_utc(database: Database) -> None:
    berlin_morning = datetime(2026, 11, 23, 0, 30, tzinfo=ZoneInfo("Europe/Berlin"))
    naive_utc = datetime(2026, 11, 23, 6, 0)
    with database.transaction() as session:
        session.add_all([PollRun(started_at=berlin_morning, outcome="ok"), PollRun(started_at=naive_utc, outcome="ok")])
    with database.reading() as session:
        stored = [run.started_at for run in session.scalars(select(PollRun).order_by(PollRun.id))]
        later = session.scalars(
            select(PollRun).where(PollRun.started_at > datetime(2026, 11, 23, 1, 0, tzinfo=ZoneInfo("Europe/Berlin")))
        )
        assert [run.started_at for run in later] == [stored[1]]
    assert stored == [datetime(2026, 11, 22, 23, 30, tzinfo=UTC), datetime(2026, 11, 23, 6, 0, tzinfo=UTC)]
    assert all(moment.tzinfo is UTC for moment in stored)


def test_a_first_start_cut_off_after_the_migrations_imports_the_list_next_time(tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "data")
    open_database(settings.database_url).dispose()  # schema made, then the process died before the import
    database = open_service_database(settings)
    try:
        with database.reading() as session:
            assert (
                liststore.render_markdown(session, settings.templates_dir).encode() == settings.seed_list.read_bytes()
            )
    finally:
        database.dispose()
    assert settings.list_markdown_path.read_bytes() == settings.seed_list.read_bytes()


def test_a_database_made_by_migration_0001_is_upgraded_on_start_and_matches_the_models(tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "data")
    engine = create_database_engine(settings.database_url)
    command.upgrade(alembic_config(engine), "0001")  # what an existing deployment has
    with engine.begin() as connection:
        connection.execute(insert(ListMeta).values(key="kept", value="from before the upgrade"))
    assert "revoked_sessions" not in inspect(engine).get_table_names()
    engine.dispose()

    database = open_service_database(settings)
    try:
        with database.reading() as session:
            assert session.scalar(text("SELECT version_num FROM alembic_version")) == "0035"
            kept = session.get(ListMeta, "kept")
            assert kept is not None and kept.value == "from before the upgrade"
        with database.engine.connect() as connection:
            assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []
    finally:
        database.dispose()


def made_by_revision(tmp_path: Path, revision: str, *statements: str) -> Settings:
    """A data folder whose database an older release made: its schema at `revision`, holding what `statements`
    insert."""
    settings = make_settings(tmp_path / "data")
    engine = create_database_engine(settings.database_url)
    command.upgrade(alembic_config(engine), revision)
    with engine.begin() as connection:
        for statement in statements:
            connection.execute(text(statement))
    engine.dispose()
    return settings


def test_a_week_sent_before_the_two_editions_counts_as_the_readers_edition_sent(tmp_path: Path) -> None:
    from digest.weekly.ledger import claim_week, week_state

    settings = made_by_revision(  # one digest a week, keyed by the week
        tmp_path,
        "0006",
        "INSERT INTO weekly_digests (week, status, attempts, recipients) VALUES ('2026-W47', 'sent', 1, '[]')",
    )

    database = open_service_database(settings)
    now = datetime(2026, 11, 30, 7, 0, tzinfo=UTC)
    try:
        with database.reading() as session:
            state = week_state(session, "2026-W47")
            assert state is not None and (state.edition, state.status) == ("readers", "sent")
            assert week_state(session, "2026-W47", "maintainers") is None
        assert not claim_week(database, "2026-W47", now)  # not sent to the readers again
        assert claim_week(database, "2026-W47", now, edition="maintainers")  # its own row
        with database.engine.connect() as connection:
            assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []
    finally:
        database.dispose()


def test_a_week_sent_before_deferred_recipients_were_kept_owes_nobody_after_the_upgrade(tmp_path: Path) -> None:
    """Migration 0011 keeps the recipients a server refused for now (4xx); a week recorded by 0001's schema owes
    nobody, and is not sent again."""
    from digest.weekly.ledger import claim_week, week_state

    settings = made_by_revision(
        tmp_path,
        "0001",
        "INSERT INTO weekly_digests (week, status, attempts, recipients)"
        " VALUES ('2026-W47', 'sent', 1, '[\"reader@example.org\"]')",
    )

    database = open_service_database(settings)
    try:
        with database.reading() as session:
            state = week_state(session, "2026-W47")
            assert state is not None and (state.status, state.deferred) == ("sent", ())
        assert not claim_week(database, "2026-W47", datetime(2026, 11, 30, 7, 0, tzinfo=UTC))
    finally:
        database.dispose()


def test_a_message_posted_before_the_shown_version_was_kept_is_not_edited_after_the_upgrade(tmp_path: Path) -> None:
    """Migration 0012 remembers which version of the paper a Discord message shows (a new version edits it); a message
    posted under 0001's schema is taken to show the stored version, so the first start does not edit every one."""
    from digest.discord import store

    settings = made_by_revision(
        tmp_path,
        "0001",
        "INSERT INTO candidates (arxiv_id, version, title, title_key, authors, abstract, categories, relevant,"
        " score, matched, suggested_sections, source_feeds, status, first_seen_at, updated_at,"
        " discord_message_id, discord_channel_id, discord_state, discord_shown_status) VALUES"
        " ('2506.04706', 2, 'Line of Sight', 'line of sight', '[]', '', '[]', 1, 1.2, '[]', '[]', '[]',"
        " 'pending', '2026-04-27 06:00:00', '2026-04-28 06:00:00', '900', '800', 'posted', 'pending')",
    )

    database = open_service_database(settings)
    try:
        assert store.out_of_sync(database) == []
        with database.transaction() as session:
            session.execute(text("UPDATE candidates SET version = 3"))  # a poll stores the next version
        assert len(store.out_of_sync(database)) == 1
    finally:
        database.dispose()


def test_papers_listed_before_the_feed_key_was_kept_keep_their_feed_ids_after_the_upgrade(tmp_path: Path) -> None:
    """Migration 0013 keeps each paper's id in the public feeds with it; a paper listed under 0012's schema gets the id
    the feeds gave it so far (its arXiv ID, else a digest of its title key), so no reader sees it twice."""
    import hashlib

    from digest.storage.models import Paper
    from digest.web.feeds import paper_guid

    settings = made_by_revision(
        tmp_path,
        "0012",
        "INSERT INTO papers (title_key, title, kind, arxiv_id, url, other_urls, authors, added_at, origin) VALUES"
        " ('a blog post', 'A blog post', 'blog', NULL, 'https://example.org/post', '[]', '[]',"
        " '2026-04-27 06:00:00', 'seed'),"
        " ('an arxiv paper', 'An arXiv paper', 'paper', '2504.01234', 'https://arxiv.org/abs/2504.01234', '[]', '[]',"
        " '2026-04-27 06:00:00', 'seed')",
    )
    database = open_service_database(settings)
    try:
        with database.reading() as session:
            found = {paper.title_key: (paper.feed_key, paper_guid(paper)) for paper in session.scalars(select(Paper))}
        digest = hashlib.sha256(b"a blog post").hexdigest()[:24]
        assert found["a blog post"] == (f"paper:{digest}", f"tag:awesome-digest,2025:paper:{digest}")
        assert found["an arxiv paper"] == ("arxiv:2504.01234", "tag:awesome-digest,2025:arxiv:2504.01234")
    finally:
        database.dispose()


def test_the_discord_bots_questions_every_few_seconds_read_an_index_not_the_whole_table(
    database: Database,
) -> None:
    """Every round of the bot asks what to post and what to show again. The candidates table keeps every paper the
    polls kept (about 5,000 rows a year, mostly the second tier): those questions must not read all of it."""
    from typing import Any

    from sqlalchemy import event

    from digest.discord import store

    statements: list[tuple[str, Any]] = []

    def seen(_conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, _many: bool) -> None:
        if "FROM candidates" in statement:
            statements.append((statement, parameters))

    event.listen(database.engine, "before_cursor_execute", seen)
    try:
        store.out_of_sync(database)
        store.ids_to_post(database)
    finally:
        event.remove(database.engine, "before_cursor_execute", seen)
    assert len(statements) == 2
    with database.engine.connect() as connection:
        for statement, parameters in statements:
            plan = " ".join(
                str(row[-1]) for row in connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)
            )
            assert "SCAN candidates" not in plan or "USING COVERING INDEX" in plan, plan
