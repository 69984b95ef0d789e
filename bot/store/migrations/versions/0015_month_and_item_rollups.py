"""the gap's monthly release totals (release_months) and items per day (item_days), so a
year's window reads twelve months and a few days instead of every day and every item

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-29 04:40:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0015'
down_revision: str | None = '0014'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('release_months',
    sa.Column('month', sa.Date(), nullable=False),
    sa.Column('country', sa.String(length=2), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('open_weights', sa.String(length=8), nullable=False),
    sa.Column('org', sa.String(length=80), nullable=False),
    sa.Column('stories', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('month', 'country', 'kind', 'open_weights', 'org')
    )
    op.create_table('item_days',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('items', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('day')
    )
    from bot.store.stats import rebuild_rollups

    rebuild_rollups(op.get_bind())


def downgrade() -> None:
    op.drop_table('item_days')
    op.drop_table('release_months')
