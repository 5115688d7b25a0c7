"""what an approved candidate's Discord message says of the section it went into: a heading renamed since the
decision edits the messages naming it, and no other

Revision ID: 0026
Revises: 0025
Create Date: (hand-written)
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0026'
down_revision = '0025'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('candidates') as batch:
        batch.add_column(sa.Column('discord_shown_section', sa.String(length=200), nullable=True))
    # Messages shown approved before name the section as the decision recorded it: only those whose section the list
    # names otherwise now are edited, once, after the first start.
    op.execute(
        "UPDATE candidates SET discord_shown_section = decided_section "
        "WHERE discord_state = 'posted' AND discord_shown_status = 'approved'"
    )


def downgrade() -> None:
    # Plain DROP COLUMN (SQLite 3.35 and later), not batch mode's copy of the table (see 0019).
    op.drop_column('candidates', 'discord_shown_section')
