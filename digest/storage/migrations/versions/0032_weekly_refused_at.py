"""when an edition of the weekly digest was refused for good (`refused_at`): the addresses it still owes are kept 30
days after, for a send by hand, as an edition given up keeps them (`given_up_at`, 0031)

An edition refused before the upgrade keeps whom it owes for 30 days from the upgrade (when it was refused is not on
record), so that `digest weekly --send` can still send it to them by hand.

Revision ID: 0032
Revises: 0031
Create Date: (hand-written)
"""
from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = '0032'
down_revision = '0031'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('weekly_digests') as batch:
        batch.add_column(sa.Column('refused_at', sa.DateTime(timezone=True), nullable=True))
    table = sa.table(
        'weekly_digests',
        sa.column('status', sa.String()),
        sa.column('refused_at', sa.DateTime(timezone=True)),
    )
    op.get_bind().execute(sa.update(table).where(table.c.status == 'refused').values(refused_at=datetime.now(UTC)))


def downgrade() -> None:
    # Plain DROP COLUMN (SQLite 3.35 and later, PostgreSQL), not batch mode's copy of the table (see 0019).
    op.drop_column('weekly_digests', 'refused_at')
