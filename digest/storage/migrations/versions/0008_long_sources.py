"""feed sources and backfill queries as text: an arXiv API query of a few hundred characters makes a URL over the
1,000 characters PostgreSQL held them to (SQLite never checked), and every poll of it failed there

Revision ID: 0008
Revises: 0007
Create Date: (hand-written)
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

_COLUMNS = (('feed_state', 'source'), ('backfill_state', 'query'), ('training_decisions', 'source'))


def upgrade() -> None:
    for table, column in _COLUMNS:
        with op.batch_alter_table(table) as batch:
            batch.alter_column(column, existing_type=sa.String(length=1000), type_=sa.Text())


def downgrade() -> None:
    for table, column in _COLUMNS:
        with op.batch_alter_table(table) as batch:
            batch.alter_column(column, existing_type=sa.Text(), type_=sa.String(length=1000))
