"""Alembic environment: runs migrations on the engine the service hands over (never a URL from a file)."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from alembic import context
from alembic.runtime.migration import MigrationContext, MigrationInfo
from sqlalchemy import create_engine, text

from digest.storage import state  # noqa: F401  (imported for its tables: the service's state is in the schema)
from digest.storage.db import MIGRATION_LOCK_KEY
from digest.storage.models import Base

config = context.config
target_metadata = Base.metadata


def _note_step(ctx: MigrationContext, step: MigrationInfo, heads: Collection[Any], run_args: Mapping[str, Any]) -> None:
    """Keeps each revision this run applies (in `applied`, when the caller passed one), for the caller to say so."""
    applied = config.attributes.get("applied")
    if applied is not None and step.is_upgrade:
        applied.append(str(step.up_revision_id))


def run_migrations_online() -> None:
    engine = config.attributes.get("engine")
    if engine is None:
        engine = create_engine(config.get_main_option("sqlalchemy.url") or "sqlite://")
    with engine.connect() as connection:
        if connection.dialect.name == "sqlite":
            # Off while the schema changes (it cannot change inside a transaction): a step that rebuilds a table (batch
            # mode, SQLite's only way to drop a column) drops the old one, and with the keys on that deleted every row
            # pointing at it (ON DELETE CASCADE): decisions with their candidates, entries with their papers.
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
            # Python's sqlite3 runs DDL outside the transaction Alembic begins: a step that failed half way (a full
            # disk, a killed container) left its first tables and the old revision. In one BEGIN IMMEDIATE the whole
            # upgrade is all or nothing, and processes started together after an upgrade wait for the first one,
            # then find the schema at its head (Alembic reads the revision after the lock is taken).
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        elif connection.dialect.name == "postgresql":
            # The same on PostgreSQL: its DDL is transactional, but two processes creating one table at once fail
            # ("duplicate key value violates unique constraint pg_type_typname_nsp_index"). The lock lasts until the
            # commit; the revision is read after it is taken.
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            on_version_apply=_note_step,
        )
        try:
            with context.begin_transaction():
                context.run_migrations()
            connection.commit()
        finally:
            if connection.dialect.name == "sqlite":  # the pooled connection goes back as the service expects it
                connection.rollback()
                connection.exec_driver_sql("PRAGMA foreign_keys=ON")


run_migrations_online()
