"""what a Discord message shows of its candidate's suggested section: a heading renamed, taken out or repeated since
edits the pending messages whose suggestion it changes, and no other

Revision ID: 0025
Revises: 0024
Create Date: (hand-written)
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0025'
down_revision = '0024'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Text: a suggestion several sections share is shown with their labels, past any String's length on PostgreSQL.
    with op.batch_alter_table('candidates') as batch:
        batch.add_column(sa.Column('discord_shown_suggestion', sa.Text(), nullable=True))
    # Messages posted before are taken to show the section as the model named it: only those whose suggestion the list
    # names otherwise now are edited, once, at the first start.
    op.execute("UPDATE candidates SET discord_shown_suggestion = suggested_section WHERE discord_state = 'posted'")


def downgrade() -> None:
    # Plain DROP COLUMN (SQLite 3.35 and later), not batch mode's copy of the table (see 0019).
    op.drop_column('candidates', 'discord_shown_suggestion')
