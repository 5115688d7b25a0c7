"""the reactions the review bot has seen, with what each meant then and whether its author was a maintainer then: a
reaction made before its author became one does not decide later, and a section emoji keeps its meaning when the
config gives it to another section

Revision ID: 0016
Revises: 0015
Create Date: (hand-written)
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Empty at first: reactions made before are read as before (by what their emoji means now).
    op.create_table('discord_reactions',
    sa.Column('candidate_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.String(length=32), nullable=False),
    sa.Column('emoji', sa.String(length=64), nullable=False),
    sa.Column('action', sa.String(length=16), nullable=False),
    sa.Column('section', sa.String(length=200), nullable=True),
    sa.Column('counted', sa.Boolean(), nullable=False),
    sa.Column('seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['candidate_id'], ['candidates.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('candidate_id', 'user_id', 'emoji')
    )


def downgrade() -> None:
    op.drop_table('discord_reactions')
