"""the weekly digest's recipients a server refused for now (a 4xx: greylisting, a full mailbox): owed the week's
edition, retried alone while the others already have it

Rows from before owe nobody.

Revision ID: 0011
Revises: 0010
Create Date: (hand-written)
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('weekly_digests') as batch:
        batch.add_column(sa.Column('deferred', sa.JSON(), nullable=False, server_default='[]'))


def downgrade() -> None:
    with op.batch_alter_table('weekly_digests') as batch:
        batch.drop_column('deferred')
