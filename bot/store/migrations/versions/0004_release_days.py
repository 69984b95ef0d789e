"""release_days: the gap's daily counts, filled from the stories already stored; an index
on a source's recent items for story assignment

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 21:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('release_days',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('country', sa.String(length=2), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('open_weights', sa.String(length=8), nullable=False),
    sa.Column('org', sa.String(length=80), nullable=False),
    sa.Column('stories', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('day', 'country', 'kind', 'open_weights', 'org')
    )
    op.create_index('ix_items_source_fetched', 'items', ['source_id', 'fetched_at', 'story_id'])
    from bot.store.stats import rebuild_release_days

    rebuild_release_days(op.get_bind())


def downgrade() -> None:
    op.drop_index('ix_items_source_fetched', table_name='items')
    op.drop_table('release_days')
