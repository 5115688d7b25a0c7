"""the weekly digest's record keeps counts, not readers' addresses: how many have each edition, were refused it for
good and were given up on; an address stays only while a retry owes it the edition, or for 30 days after it was given
up (`given_up_at`), for a send by hand

Old rows are rewritten the same way: `recipients` (who had it) becomes a count; an edition sent or skipped owes nobody,
and its last error names no address. One given up keeps whom it owed for 30 days from the upgrade (when it was given up
is not on record), so that `digest weekly --send` can still send it to them by hand.

Revision ID: 0031
Revises: 0030
Create Date: (hand-written)
"""
from __future__ import annotations

import re
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = '0031'
down_revision = '0030'
branch_labels = None
depends_on = None

# What weekly/refusals.py's without_addresses says "…" (kept here: a migration stays as it was written).
_ADDRESS = re.compile(r"[^\s<>()\[\]:;,'\"]+@[^\s<>()\[\]:;,'\"]+")
_DONE = ('sent', 'quiet', 'given-up')
_KEPT_OWED = 'given-up'  # done with by the job, its owed readers kept a while for a send by hand


def upgrade() -> None:
    with op.batch_alter_table('weekly_digests') as batch:
        batch.add_column(sa.Column('reached_count', sa.Integer(), nullable=False, server_default='0'))
        batch.add_column(sa.Column('refused_count', sa.Integer(), nullable=False, server_default='0'))
        batch.add_column(sa.Column('given_up_count', sa.Integer(), nullable=False, server_default='0'))
        batch.add_column(sa.Column('given_up_at', sa.DateTime(timezone=True), nullable=True))
    table = sa.table(
        'weekly_digests',
        sa.column('week', sa.String()),
        sa.column('edition', sa.String()),
        sa.column('status', sa.String()),
        sa.column('last_error', sa.Text()),
        sa.column('recipients', sa.JSON()),
        sa.column('deferred', sa.JSON()),
        sa.column('reached_count', sa.Integer()),
        sa.column('given_up_count', sa.Integer()),
        sa.column('given_up_at', sa.DateTime(timezone=True)),
    )
    upgraded_at = datetime.now(UTC)
    connection = op.get_bind()
    for row in connection.execute(sa.select(table)).mappings().all():
        deferred = list(row['deferred'] or [])
        values: dict[str, object] = {'reached_count': len(row['recipients'] or [])}
        if row['status'] in _DONE:
            values['deferred'] = []
            values['last_error'] = _ADDRESS.sub('…', row['last_error']) if row['last_error'] else None
        if row['status'] == _KEPT_OWED and deferred:
            values['deferred'], values['given_up_count'], values['given_up_at'] = deferred, len(deferred), upgraded_at
        key = sa.and_(table.c.week == row['week'], table.c.edition == row['edition'])
        connection.execute(sa.update(table).where(key).values(**values))
    # Plain DROP COLUMN (SQLite 3.35 and later, PostgreSQL), not batch mode's copy of the table (see 0019).
    op.drop_column('weekly_digests', 'recipients')


def downgrade() -> None:
    # Who had each edition is not kept any more: the column comes back empty, as 0001 made it for a new row.
    op.add_column('weekly_digests', sa.Column('recipients', sa.JSON(), nullable=False, server_default='[]'))
    for column in ('given_up_at', 'given_up_count', 'refused_count', 'reached_count'):
        op.drop_column('weekly_digests', column)
