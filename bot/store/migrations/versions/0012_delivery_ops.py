"""delivery operations: when a row was (re-)queued, for its retry window; which destinations
each process serves; when a broken destination was last probed

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-29 00:50:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0012'
down_revision: str | None = '0011'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('deliveries') as batch:
        batch.add_column(sa.Column('queued_at', sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table('processes') as batch:
        batch.add_column(sa.Column('destinations', sa.JSON(), nullable=True))
    with op.batch_alter_table('destination_state') as batch:
        batch.add_column(sa.Column('checked_at', sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('destination_state') as batch:
        batch.drop_column('checked_at')
    with op.batch_alter_table('processes') as batch:
        batch.drop_column('destinations')
    with op.batch_alter_table('deliveries') as batch:
        batch.drop_column('queued_at')
