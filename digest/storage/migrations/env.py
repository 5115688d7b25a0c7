"""Alembic environment: runs migrations on the engine the service hands over (never a URL from a file)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from digest.storage import state  # noqa: F401  (imported for its tables: the service's state is in the schema)
from digest.storage.models import Base

config = context.config
target_metadata = Base.metadata


def run_migrations_online() -> None:
    engine = config.attributes.get("engine")
    if engine is None:
        engine = create_engine(config.get_main_option("sqlalchemy.url") or "sqlite://")
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


run_migrations_online()
