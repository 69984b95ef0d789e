"""the gap's monthly modalities and open sizes of releases (release_modalities,
release_sizes), so gap never reads a year of stories

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-29 04:10:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0014'
down_revision: str | None = '0013'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('release_modalities',
    sa.Column('month', sa.Date(), nullable=False),
    sa.Column('country', sa.String(length=2), nullable=False),
    sa.Column('modality', sa.String(length=20), nullable=False),
    sa.Column('stories', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('month', 'country', 'modality')
    )
    op.create_table('release_sizes',
    sa.Column('month', sa.Date(), nullable=False),
    sa.Column('country', sa.String(length=2), nullable=False),
    sa.Column('params', sa.Float(), nullable=False),
    sa.Column('stories', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('month', 'country', 'params')
    )
    from bot.store.stats import rebuild_facets

    rebuild_facets(op.get_bind())


def downgrade() -> None:
    op.drop_table('release_sizes')
    op.drop_table('release_modalities')
