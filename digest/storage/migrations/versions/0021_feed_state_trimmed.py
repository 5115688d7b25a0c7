"""a feed's state kept under its address as written, space or newline around it (`sources = [" URL\n"]`), moved to
the address trimmed, as the settings now read it: the next poll asks with its ETag, not for the whole feed again as
a new source. Where both were kept (the file was edited since), the one polled last is kept.

Revision ID: 0021
Revises: 0020
Create Date: (hand-written)
"""
from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None


def upgrade() -> None:
    connection = op.get_bind()
    groups: dict[str, list[tuple[str, Any]]] = {}
    for source, polled in connection.execute(sa.text("SELECT source, last_polled_at FROM feed_state")):
        if source.strip():
            groups.setdefault(source.strip(), []).append((source, polled))
    for trimmed, found in groups.items():
        if [source for source, _ in found] == [trimmed]:
            continue
        # The one polled last wins (one never polled loses first); a tie keeps the key already trimmed.
        found.sort(key=lambda row: (row[1] is not None, row[1] or "", row[0] == trimmed))
        kept = found[-1][0]
        for source, _ in found[:-1]:
            connection.execute(sa.text("DELETE FROM feed_state WHERE source = :source"), {"source": source})
        if kept != trimmed:
            connection.execute(
                sa.text("UPDATE feed_state SET source = :trimmed WHERE source = :source"),
                {"trimmed": trimmed, "source": kept},
            )


def downgrade() -> None:
    pass  # the trimmed address is the one every release reads the settings by
