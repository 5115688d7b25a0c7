"""PostgreSQL hand-overs: what one process lets go of is free for the next at once, as on SQLite."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text

from digest.service.wiring import open_service_database
from digest.storage.datalock import lock_data_folder, lock_database
from tests.conftest import make_settings
from tests.postgres_server import postgres_server, postgres_url  # noqa: F401  (fixtures)


def test_a_service_restarted_at_once_is_not_refused_by_the_one_it_replaces(
    tmp_path: Path,
    postgres_url: str,  # noqa: F811
) -> None:
    """A restart (systemctl restart, a deploy) stops the service and starts the next at once: closing the old one's
    connection only asks the server to end its session, which lets go of the advisory lock a moment later, and the
    new one was refused as 'another digest service (pid <the old one>) is running'. Release lets go of it first."""
    settings = make_settings(tmp_path / "data", environ={"DIGEST_DATABASE_URL": postgres_url})
    database = open_service_database(settings)
    try:
        old = lock_data_folder(settings.data_dir)
        lock_database(old, database)
        # A session that takes a moment to end (here its temporary tables to drop; a loaded server does it too).
        tables = "FOR i IN 1..400 LOOP EXECUTE format('CREATE TEMP TABLE t%s (x int)', i); END LOOP;"
        old.connection.execute(text(f"DO $$ BEGIN {tables} END $$"))
        old.connection.commit()
        old.release()
        new = lock_data_folder(settings.data_dir)
        lock_database(new, database)
        new.release()
    finally:
        database.dispose()
