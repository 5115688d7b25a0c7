"""whether a Discord message offers ✅, as the bot posted or last edited it: a decided message offering none is edited
once the list offers one, told by this record and not by the wording of what the message shows

Revision ID: 0027
Revises: 0026
Create Date: (hand-written)
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0027'
down_revision = '0026'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('candidates') as batch:
        batch.add_column(sa.Column('discord_offers_approve', sa.Boolean(), nullable=True))
    # Messages shown before offer ✅ unless what they show of their suggestion is one of the two texts the releases
    # that recorded it (0025, 0026) gave a name that approves into no section: taken out of the list, or given to
    # several sections. Their wording is fixed here, as those releases wrote it; later ones record the answer itself.
    op.execute(
        "UPDATE candidates SET discord_offers_approve = TRUE "
        "WHERE discord_state = 'posted' AND discord_shown_suggestion IS NOT NULL"
    )
    op.execute(
        "UPDATE candidates SET discord_offers_approve = FALSE "
        "WHERE discord_state = 'posted' AND discord_shown_suggestion IS NOT NULL AND ("
        "discord_shown_suggestion = suggested_section || ' (no longer a section of the list)' "
        "OR (substr(discord_shown_suggestion, 1, length(suggested_section) + 2) = suggested_section || ' (' "
        "AND discord_shown_suggestion LIKE '% sections have this name: %'))"
    )


def downgrade() -> None:
    # Plain DROP COLUMN (SQLite 3.35 and later), not batch mode's copy of the table (see 0019).
    op.drop_column('candidates', 'discord_offers_approve')
