"""a decision made in Discord by a slash command (/add), not by a reaction, says so: catching up after a restart
reads only a reaction's decision as taken back when its reaction is gone

Revision ID: 0015
Revises: 0014
Create Date: (hand-written)
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Rows from before are read as they were (a Discord decision: a reaction's), but marked '' (made before this
    # column): an /add of then cannot be told from a reaction, so catching up does not read the absence of its
    # reaction as taken back (discord/catchup.py).
    with op.batch_alter_table('decisions') as batch:
        batch.add_column(sa.Column('command', sa.String(length=32), nullable=True))
    op.execute("UPDATE decisions SET command = '' WHERE channel = 'discord'")


def downgrade() -> None:
    # A plain DROP COLUMN (SQLite 3.35 and later), not batch mode's copy of the table: see 0013.
    op.drop_column('decisions', 'command')
