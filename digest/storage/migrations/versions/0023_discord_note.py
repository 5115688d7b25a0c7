"""the note a candidate's Discord message shows or is owed (why a reaction changed nothing), kept in the database: one
Discord failed to show is shown after a restart, and an embed a moderator removed is put back with it

Revision ID: 0023
Revises: 0022
Create Date: (hand-written)
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0023'
down_revision = '0022'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Empty at first: the notes the running bot knew were in its memory only.
    with op.batch_alter_table('candidates') as batch:
        batch.add_column(sa.Column('discord_note', sa.Text(), nullable=True))
        batch.add_column(sa.Column('discord_note_owed', sa.Boolean(), server_default=sa.false(), nullable=False))
    op.create_index('ix_candidates_discord_note_owed', 'candidates', ['discord_note_owed'])


def downgrade() -> None:
    # Plain DROP COLUMN (SQLite 3.35 and later), not batch mode's copy of the table (see 0019).
    op.drop_index('ix_candidates_discord_note_owed', table_name='candidates')
    op.drop_column('candidates', 'discord_note_owed')
    op.drop_column('candidates', 'discord_note')
