"""/race latest at a million items: classifications carry their item's published_at, and
each filter (organisation, country, kind, country and kind) has an index ordered by it

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-29 03:40:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0013'
down_revision: str | None = '0012'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_OLD = {
    'ix_classifications_country_kind': ['primary_country', 'kind'],
    'ix_classifications_primary_country': ['primary_country'],
    'ix_classifications_primary_org': ['primary_org'],
    'ix_classifications_kind': ['kind'],
}
_NEW = {
    'ix_classifications_country_published': ['primary_country', 'published_at', 'item_id'],
    'ix_classifications_country_kind_published': [
        'primary_country', 'kind', 'published_at', 'item_id'
    ],
    'ix_classifications_org_published': ['primary_org', 'published_at', 'item_id'],
    'ix_classifications_kind_published': ['kind', 'published_at', 'item_id'],
}


def upgrade() -> None:
    with op.batch_alter_table('classifications') as batch:
        batch.add_column(sa.Column('published_at', sa.DateTime(timezone=True), nullable=True))
    op.execute(
        'UPDATE classifications SET published_at = '
        '(SELECT items.published_at FROM items WHERE items.id = classifications.item_id)'
    )
    for name in _OLD:
        op.drop_index(name, table_name='classifications')
    for name, columns in _NEW.items():
        op.create_index(name, 'classifications', columns)


def downgrade() -> None:
    for name in _NEW:
        op.drop_index(name, table_name='classifications')
    for name, columns in _OLD.items():
        op.create_index(name, 'classifications', columns)
    with op.batch_alter_table('classifications') as batch:
        batch.drop_column('published_at')
