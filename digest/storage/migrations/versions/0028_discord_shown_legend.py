"""the section emojis a Discord message's legend offers: a heading renamed or taken out since edits the pending messages
offering it otherwise, not only those whose suggestion it changes

Revision ID: 0028
Revises: 0027
Create Date: (hand-written)
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0028'
down_revision = '0027'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # None for the messages posted before: they offer each emoji by the config's name for its section (the release
    # before showed those), so only those the list names otherwise now are edited, once, at the first start.
    with op.batch_alter_table('candidates') as batch:
        batch.add_column(sa.Column('discord_shown_legend', sa.Text(), nullable=True))


def downgrade() -> None:
    # Plain DROP COLUMN (SQLite 3.35 and later), not batch mode's copy of the table (see 0019).
    op.drop_column('candidates', 'discord_shown_legend')
