"""the stream's window read from one index: the threshold re-fit after every poll reads the newest few thousand
papers' scores (newest first, by time and then ID); with only an index on the time, SQLite sorted each poll's papers
(which share one time) by ID in a temporary tree and read every row's title and abstract off the table for its score

Revision ID: 0017
Revises: 0016
Create Date: (hand-written)
"""
from __future__ import annotations

from alembic import op

revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_stream_papers_window', 'stream_papers', ['seen_at', 'arxiv_id', 'score', 'model_key'])
    op.drop_index('ix_stream_papers_seen_at', table_name='stream_papers')


def downgrade() -> None:
    op.create_index('ix_stream_papers_seen_at', 'stream_papers', ['seen_at'])
    op.drop_index('ix_stream_papers_window', table_name='stream_papers')
