"""publishing in pull-request mode: the pull request, its branch and the file as last pushed there

Revision ID: 0005
Revises: 0004
Create Date: (hand-written)
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('publish_state') as batch:
        batch.add_column(sa.Column('pull_number', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('pull_branch', sa.String(length=200), nullable=True))
        batch.add_column(sa.Column('pull_text', sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('publish_state') as batch:
        batch.drop_column('pull_text')
        batch.drop_column('pull_branch')
        batch.drop_column('pull_number')
