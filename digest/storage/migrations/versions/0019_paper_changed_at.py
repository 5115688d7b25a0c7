"""when an import last changed what a paper's feed item shows of it (its title, its links): a title corrected by hand
moves the public Atom entry's <updated>, so feed readers show the corrected title

Revision ID: 0019
Revises: 0018
Create Date: (hand-written)
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Empty at first (never changed): the feeds date each paper's item as before the upgrade.
    with op.batch_alter_table('papers') as batch:
        batch.add_column(sa.Column('changed_at', sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    # A plain DROP COLUMN (SQLite 3.35 and later), not batch mode's copy of the table: with SQLite's foreign keys on,
    # dropping the old papers table deletes every entry (ON DELETE CASCADE) and unlinks every candidate.
    op.drop_column('papers', 'changed_at')
