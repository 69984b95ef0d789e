"""deliveries.uncertain and batch_key, channel_pace: resend protection, shared pacing

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-29 00:40:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bot.store.schema

revision: str = '0011'
down_revision: str | None = '0010'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('deliveries') as batch:
        batch.add_column(
            sa.Column('uncertain', sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch.add_column(sa.Column('batch_key', sa.String(length=40), nullable=True))
    op.create_table('channel_pace',
    sa.Column('channel', sa.String(length=200), nullable=False),
    sa.Column('next_at', bot.store.schema.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('channel')
    )


def downgrade() -> None:
    op.drop_table('channel_pace')
    with op.batch_alter_table('deliveries') as batch:
        batch.drop_column('batch_key')
        batch.drop_column('uncertain')
