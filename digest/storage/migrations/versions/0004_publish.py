"""publishing to the list's git repository: its state

Revision ID: 0004
Revises: 0003
Create Date: (hand-written)
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op



revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('publish_state',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('last_decision_id', sa.Integer(), nullable=False),
    sa.Column('base_text', sa.Text(), nullable=True),
    sa.Column('synced_commit', sa.String(length=64), nullable=True),
    sa.Column('published_commit', sa.String(length=64), nullable=True),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('attempted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )


def downgrade() -> None:
    op.drop_table('publish_state')
