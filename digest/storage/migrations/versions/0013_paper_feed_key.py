"""the public feeds' id for a paper is kept with it: a title or an arXiv link edited by hand later no longer makes the
paper a new item in every feed reader

Revision ID: 0013
Revises: 0012
Create Date: (hand-written)
"""
from __future__ import annotations

import hashlib

import sqlalchemy as sa
from alembic import op

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('papers') as batch:
        batch.add_column(sa.Column('feed_key', sa.String(length=64), nullable=True))
    # Each paper keeps the id the feeds gave it so far (its arXiv ID, else a digest of its title key), so readers
    # subscribed before the upgrade see no item twice.
    connection = op.get_bind()
    papers = connection.execute(sa.text("SELECT id, arxiv_id, title_key FROM papers")).all()
    for paper_id, arxiv_id, key in papers:
        if arxiv_id:
            value = f"arxiv:{arxiv_id}"
        else:
            value = f"paper:{hashlib.sha256(key.encode('utf-8')).hexdigest()[:24]}"
        connection.execute(
            sa.text("UPDATE papers SET feed_key = :value WHERE id = :id"), {"value": value, "id": paper_id}
        )


def downgrade() -> None:
    # A plain DROP COLUMN (SQLite 3.35 and later), not batch mode's copy of the table: with SQLite's foreign keys on,
    # dropping the old papers table deletes every entry (ON DELETE CASCADE) and unlinks every candidate.
    op.drop_column('papers', 'feed_key')
