"""relevance learning: the stream, fitted thresholds, imported decisions, why a candidate was flagged

Revision ID: 0003
Revises: 0002
Create Date: (hand-written)
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('stream_papers',
    sa.Column('arxiv_id', sa.String(length=32), nullable=False),
    sa.Column('title', sa.Text(), nullable=False),
    sa.Column('abstract', sa.Text(), nullable=False),
    sa.Column('categories', sa.JSON(), nullable=False),
    sa.Column('seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('score', sa.Float(), nullable=True),
    sa.Column('model_key', sa.String(length=64), nullable=True),
    sa.PrimaryKeyConstraint('arxiv_id')
    )
    with op.batch_alter_table('stream_papers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_stream_papers_seen_at'), ['seen_at'], unique=False)
    op.create_table('relevance_state',
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('value', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('key')
    )
    op.create_table('training_decisions',
    sa.Column('arxiv_id', sa.String(length=32), nullable=False),
    sa.Column('title', sa.Text(), nullable=False),
    sa.Column('abstract', sa.Text(), nullable=False),
    sa.Column('approved', sa.Boolean(), nullable=False),
    sa.Column('section', sa.String(length=200), nullable=True),
    sa.Column('source', sa.String(length=1000), nullable=False),
    sa.Column('imported_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('arxiv_id')
    )
    with op.batch_alter_table('training_decisions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_training_decisions_imported_at'), ['imported_at'], unique=False)
    with op.batch_alter_table('candidates', schema=None) as batch_op:
        batch_op.add_column(sa.Column('why', sa.JSON(), nullable=False, server_default='{}'))


def downgrade() -> None:
    with op.batch_alter_table('candidates', schema=None) as batch_op:
        batch_op.drop_column('why')
    with op.batch_alter_table('training_decisions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_training_decisions_imported_at'))
    op.drop_table('training_decisions')
    op.drop_table('relevance_state')
    with op.batch_alter_table('stream_papers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_stream_papers_seen_at'))
    op.drop_table('stream_papers')
