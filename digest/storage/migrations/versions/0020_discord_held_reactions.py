"""the live reactions whose deciding waits for Discord to say who made them, with the candidate's last decision when
each came: kept in memory only, a restart lost the order, and such a reaction overturned a later one's decision

Revision ID: 0020
Revises: 0019
Create Date: (hand-written)
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Empty at first: what a running bot held before the upgrade was in its memory, and is gone with it.
    op.create_table('discord_held_reactions',
    sa.Column('candidate_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.String(length=32), nullable=False),
    sa.Column('emoji', sa.String(length=64), nullable=False),
    sa.Column('action', sa.String(length=16), nullable=False),
    sa.Column('section', sa.String(length=200), nullable=True),
    sa.Column('last_decision_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['candidate_id'], ['candidates.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('candidate_id', 'user_id', 'emoji')
    )


def downgrade() -> None:
    op.drop_table('discord_held_reactions')
