"""the review messages the bot owes a catching up, whatever their paper's age: a maintainer's reaction that the
database or a member lookup kept the bot from acting on at once was kept in memory only, and a restart lost it when
its paper was decided before the fortnight catching up looks at

Revision ID: 0018
Revises: 0017
Create Date: (hand-written)
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Empty at first: what a running bot owed before the upgrade was in its memory, and is gone with it.
    op.create_table('discord_owed_messages',
    sa.Column('message_id', sa.String(length=32), nullable=False),
    sa.Column('noted_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('message_id')
    )


def downgrade() -> None:
    op.drop_table('discord_owed_messages')
