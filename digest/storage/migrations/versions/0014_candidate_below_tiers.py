"""a pending candidate a new version puts below both tiers (withdrawn, or scored under the second tier's threshold)
is marked so: it no longer counts as the weekly digest's second tier

Revision ID: 0014
Revises: 0013
Create Date: (hand-written)
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Rows from before keep what they were counted as (no judgement of theirs says otherwise): the next new version
    # judges them again.
    with op.batch_alter_table('candidates') as batch:
        batch.add_column(sa.Column('below_tiers', sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    # A plain DROP COLUMN (SQLite 3.35 and later), not batch mode's copy of the table: see 0013.
    op.drop_column('candidates', 'below_tiers')
