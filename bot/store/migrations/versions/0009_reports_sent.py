"""reports_sent: the weekly state-of-the-race post, once per destination and week

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-28 22:45:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bot.store.schema

revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('reports_sent',
    sa.Column('key', sa.String(length=80), nullable=False),
    sa.Column('destination', sa.String(length=60), nullable=False),
    sa.Column('message_id', sa.String(length=120), nullable=True),
    sa.Column('sent_at', bot.store.schema.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('key', 'destination')
    )


def downgrade() -> None:
    op.drop_table('reports_sent')
