"""an [[api]] query's state kept under its address with the search_query as written, space or newline around it
(`search_query = " cat:cs.LG\n"` gave `search_query=+cat%3Acs.LG%0A`), moved to the address of the query trimmed, as
the settings now read it: the next poll asks with its ETag, not for the whole answer again as a new source. Where
both were kept, the one polled last is kept.

Revision ID: 0022
Revises: 0021
Create Date: (hand-written)
"""
from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlencode

import sqlalchemy as sa
from alembic import op

revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None


def _trimmed(source: str) -> str:
    """The address with its search_query trimmed (digest.arxiv.fetch_types.source_key, as of this revision)."""
    address, mark, query = source.partition("?")
    pairs = parse_qsl(query, keep_blank_values=True)
    if not mark or not any(name == "search_query" and value != value.strip() for name, value in pairs):
        return source
    trimmed = [(name, value.strip() if name == "search_query" else value) for name, value in pairs]
    return f"{address}?{urlencode(trimmed)}"


def upgrade() -> None:
    connection = op.get_bind()
    groups: dict[str, list[tuple[str, Any]]] = {}
    for source, polled in connection.execute(sa.text("SELECT source, last_polled_at FROM feed_state")):
        groups.setdefault(_trimmed(source), []).append((source, polled))
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
    pass  # the trimmed query is the one every release reads the settings by
