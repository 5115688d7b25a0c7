"""what a Discord message shows is the candidate's status and the decision that made it: a decision made elsewhere
that leaves the status as it was (a move, a rejection by someone else after an undo) is shown too

Revision ID: 0010
Revises: 0009
Create Date: (hand-written)
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('candidates') as batch:
        batch.add_column(sa.Column('discord_shown_decided_at', sa.DateTime(timezone=True), nullable=True))
    # Messages posted before show what they show: no edit for each of them at the first start after the upgrade.
    op.execute("UPDATE candidates SET discord_shown_decided_at = decided_at WHERE discord_state = 'posted'")


def downgrade() -> None:
    with op.batch_alter_table('candidates') as batch:
        batch.drop_column('discord_shown_decided_at')
