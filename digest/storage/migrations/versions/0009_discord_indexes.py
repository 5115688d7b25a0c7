"""indexes for the Discord bot's questions every few seconds (what to post, what to show again): without them each
round read the whole candidates table, which grows by every paper the polls keep

Revision ID: 0009
Revises: 0008
Create Date: (hand-written)
"""
from __future__ import annotations

from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_candidates_to_post', 'candidates', ['status', 'relevant', 'discord_state'])
    op.create_index(
        'ix_candidates_shown', 'candidates', ['discord_state', 'discord_shown_status', 'status', 'discord_message_id']
    )


def downgrade() -> None:
    op.drop_index('ix_candidates_shown', table_name='candidates')
    op.drop_index('ix_candidates_to_post', table_name='candidates')
