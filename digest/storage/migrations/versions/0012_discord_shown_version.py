"""what a Discord message shows is also the version of the paper it was rendered from: a new version (its title,
abstract, authors) of a posted candidate edits the message

Revision ID: 0012
Revises: 0011
Create Date: (hand-written)
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('candidates') as batch:
        batch.add_column(sa.Column('discord_shown_version', sa.Integer(), nullable=True))
    # Messages posted before are taken to show the version stored: no edit for each of them at the first start.
    op.execute("UPDATE candidates SET discord_shown_version = version WHERE discord_state = 'posted'")


def downgrade() -> None:
    with op.batch_alter_table('candidates') as batch:
        batch.drop_column('discord_shown_version')
