"""what a notice of a list paper arXiv withdrew or retitled says on /review (the version's title, comment and date)
and who dismissed it there, and when: the notices were in the log only, which a maintainer who uses the review page
never saw

Notices kept before the upgrade have no title, comment or date on record (the page names the paper by its ID).

Revision ID: 0035
Revises: 0034
Create Date: (hand-written)
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0035'
down_revision = '0034'
branch_labels = None
depends_on = None

_COLUMNS = ('title', 'comment', 'changed_at', 'dismissed_by', 'dismissed_at')


def upgrade() -> None:
    with op.batch_alter_table('list_notices') as batch:
        batch.add_column(sa.Column('title', sa.Text(), nullable=True))
        batch.add_column(sa.Column('comment', sa.Text(), nullable=True))
        batch.add_column(sa.Column('changed_at', sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column('dismissed_by', sa.String(length=200), nullable=True))
        batch.add_column(sa.Column('dismissed_at', sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    # Plain DROP COLUMN (SQLite 3.35 and later, PostgreSQL), not batch mode's copy of the table (see 0019).
    for column in _COLUMNS:
        op.drop_column('list_notices', column)
