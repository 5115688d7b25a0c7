"""an approved paper a maintainer took out of the list by hand (a publish's pull, a `digest list import`): when, by
whom and how, so that an approval putting it back says so

Revision ID: 0030
Revises: 0029
Create Date: (hand-written)
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0030'
down_revision = '0029'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('candidates') as batch:
        batch.add_column(sa.Column('taken_out_at', sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column('taken_out_by', sa.String(length=200), nullable=True))
        batch.add_column(sa.Column('taken_out_in', sa.String(length=200), nullable=True))


def downgrade() -> None:
    # Plain DROP COLUMN (SQLite 3.35 and later), not batch mode's copy of the table (see 0019).
    for column in ('taken_out_in', 'taken_out_by', 'taken_out_at'):
        op.drop_column('candidates', column)
