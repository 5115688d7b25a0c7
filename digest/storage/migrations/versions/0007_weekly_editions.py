"""the weekly digest in two editions: a bookkeeping row per week and edition (readers, maintainers)

Rows from before are the readers' edition: a week already sent is not sent again to `recipients`.

Revision ID: 0007
Revises: 0006
Create Date: (hand-written)
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('weekly_digests') as batch:
        batch.add_column(sa.Column('edition', sa.String(length=16), nullable=False, server_default='readers'))
    _primary_key(['week', 'edition'])


def downgrade() -> None:
    op.execute("DELETE FROM weekly_digests WHERE edition <> 'readers'")
    _primary_key(['week'])
    with op.batch_alter_table('weekly_digests') as batch:
        batch.drop_column('edition')


def _primary_key(columns: list[str]) -> None:
    if op.get_bind().dialect.name == 'sqlite':  # SQLite cannot change a primary key: the table is copied
        with op.batch_alter_table('weekly_digests', copy_from=_table(columns), recreate='always'):
            pass
    else:
        op.drop_constraint('weekly_digests_pkey', 'weekly_digests', type_='primary')
        op.create_primary_key('weekly_digests_pkey', 'weekly_digests', columns)


def _table(key: list[str]) -> sa.Table:
    """The table as it is after the step, its primary key on `key` (with "edition" only while it has the column)."""
    edition = [sa.Column('edition', sa.String(length=16), nullable=False, server_default='readers')]
    return sa.Table(
        'weekly_digests',
        sa.MetaData(),
        sa.Column('week', sa.String(length=10), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('last_error', sa.Text(), nullable=True),
        sa.Column('last_attempt_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('message_id', sa.String(length=300), nullable=True),
        sa.Column('recipients', sa.JSON(), nullable=False),
        *edition,
        sa.PrimaryKeyConstraint(*key, name='weekly_digests_pkey'),
    )
