"""the pull request's number as a 64-bit integer: GitHub's numbers are not ours to bound, and PostgreSQL's INTEGER
refused one past 2**31 (SQLite's INTEGER was already 64-bit)

Revision ID: 0024
Revises: 0023
Create Date: (hand-written)
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0024'
down_revision = '0023'
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':  # SQLite stores any INTEGER in 64 bits: nothing to change there
        op.alter_column('publish_state', 'pull_number', type_=sa.BigInteger(), existing_nullable=True)


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.alter_column('publish_state', 'pull_number', type_=sa.Integer(), existing_nullable=True)
