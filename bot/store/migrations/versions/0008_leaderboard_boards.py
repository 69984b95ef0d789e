"""board_entries and board_best: every leaderboard snapshot racewatch polls or imports, and
each country's best per arena and day (the capability gap)

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-28 21:40:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('board_entries',
    sa.Column('arena', sa.String(length=40), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('model', sa.String(length=200), nullable=False),
    sa.Column('organization', sa.String(length=200), nullable=True),
    sa.Column('org_id', sa.String(length=80), nullable=True),
    sa.Column('country', sa.String(length=2), nullable=True),
    sa.Column('score', sa.Float(), nullable=False),
    sa.Column('lower', sa.Float(), nullable=True),
    sa.Column('upper', sa.Float(), nullable=True),
    sa.Column('votes', sa.Integer(), nullable=True),
    sa.Column('rank', sa.Integer(), nullable=True),
    sa.PrimaryKeyConstraint('arena', 'day', 'model')
    )
    op.create_table('board_best',
    sa.Column('arena', sa.String(length=40), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('country', sa.String(length=2), nullable=False),
    sa.Column('model', sa.String(length=200), nullable=False),
    sa.Column('org_id', sa.String(length=80), nullable=True),
    sa.Column('score', sa.Float(), nullable=False),
    sa.Column('lower', sa.Float(), nullable=True),
    sa.Column('upper', sa.Float(), nullable=True),
    sa.PrimaryKeyConstraint('arena', 'day', 'country')
    )


def downgrade() -> None:
    op.drop_table('board_best')
    op.drop_table('board_entries')
