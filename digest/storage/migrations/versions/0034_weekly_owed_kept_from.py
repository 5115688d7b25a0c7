"""when the 30 days an edition of the weekly digest keeps the addresses it still owes began (`owed_kept_from`): its
first giving up or refusal for good, kept while a send by hand of it is retried (failed) and cleared once it is sent.
`given_up_at` and `refused_at` were cleared by every delivery, so a refusal for good after a partial send by hand
started the 30 days again

An edition given up or refused before the upgrade keeps the time it has on record.

Revision ID: 0034
Revises: 0033
Create Date: (hand-written)
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0034'
down_revision = '0033'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('weekly_digests') as batch:
        batch.add_column(sa.Column('owed_kept_from', sa.DateTime(timezone=True), nullable=True))
    table = sa.table(
        'weekly_digests',
        sa.column('given_up_at', sa.DateTime(timezone=True)),
        sa.column('refused_at', sa.DateTime(timezone=True)),
        sa.column('owed_kept_from', sa.DateTime(timezone=True)),
    )
    started = sa.func.coalesce(table.c.given_up_at, table.c.refused_at)
    op.get_bind().execute(sa.update(table).where(started.is_not(None)).values(owed_kept_from=started))


def downgrade() -> None:
    # Plain DROP COLUMN (SQLite 3.35 and later, PostgreSQL), not batch mode's copy of the table (see 0019).
    op.drop_column('weekly_digests', 'owed_kept_from')
