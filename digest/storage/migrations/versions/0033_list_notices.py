"""what the polls told the maintainers of the list's papers that arXiv withdrew or retitled, by version: a paper
without a candidate row (from the seed list, or written in by hand) had nowhere to keep it, so the same version was
told again by every feed, category and API answer that held it

Revision ID: 0033
Revises: 0032
Create Date: (hand-written)
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0033'
down_revision = '0032'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Empty at first: what was told before the upgrade is in the log only, so a version may be told once more.
    op.create_table('list_notices',
    sa.Column('arxiv_id', sa.String(length=32), nullable=False),
    sa.Column('notice', sa.String(length=16), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('told_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('arxiv_id', 'notice')
    )


def downgrade() -> None:
    op.drop_table('list_notices')
