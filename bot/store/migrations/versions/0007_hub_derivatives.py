"""classifications: how a hub upload derives from its base model, the base, and the uploader

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-28 21:30:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('classifications') as batch:
        batch.add_column(sa.Column('derivative', sa.String(length=20), nullable=True))
        batch.add_column(sa.Column('base_model', sa.Text(), nullable=True))
        batch.add_column(sa.Column('uploader', sa.String(length=120), nullable=True))
    op.create_index('ix_classifications_uploader', 'classifications', ['uploader'])


def downgrade() -> None:
    op.drop_index('ix_classifications_uploader', table_name='classifications')
    with op.batch_alter_table('classifications') as batch:
        batch.drop_column('uploader')
        batch.drop_column('base_model')
        batch.drop_column('derivative')
