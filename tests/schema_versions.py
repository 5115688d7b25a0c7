"""A database at an older schema revision, as an earlier release left it (SQLite file or a PostgreSQL URL)."""

from __future__ import annotations

from pathlib import Path

from alembic import command

from digest.storage.db import alembic_config, create_database_engine


def database_at(revision: str, path: Path | str) -> str:
    url = path if isinstance(path, str) else f"sqlite:///{path}"
    engine = create_database_engine(url)
    command.upgrade(alembic_config(engine), revision)
    engine.dispose()
    return url
