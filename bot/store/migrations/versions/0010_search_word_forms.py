"""search: word forms (Porter stemming on SQLite, the english configuration on PostgreSQL)
and Chinese, Japanese and Korean words (indexed as character pairs in items.search_cjk)

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-28 22:50:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0010'
down_revision: str | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TRIGGERS = ("items_fts_insert", "items_fts_delete", "items_fts_update")


def _fts_table(name: str, columns: str, tokenize: str) -> list[str]:
    """An FTS5 index over ``items`` columns, kept in step by triggers."""
    cols = [c.strip() for c in columns.split(",")]
    new = ", ".join(f"new.{c}" for c in cols)
    old = ", ".join(f"old.{c}" for c in cols)
    return [
        f"CREATE VIRTUAL TABLE {name} USING fts5({columns}, content='items', "
        f"content_rowid='id', tokenize='{tokenize}')",
        f"INSERT INTO {name}(rowid, {columns}) SELECT id, {columns} FROM items",
        f"CREATE TRIGGER {name}_insert AFTER INSERT ON items BEGIN "
        f"INSERT INTO {name}(rowid, {columns}) VALUES (new.id, {new}); END",
        f"CREATE TRIGGER {name}_delete AFTER DELETE ON items BEGIN "
        f"INSERT INTO {name}({name}, rowid, {columns}) VALUES ('delete', old.id, {old}); END",
        f"CREATE TRIGGER {name}_update AFTER UPDATE OF {columns} ON items BEGIN "
        f"INSERT INTO {name}({name}, rowid, {columns}) VALUES ('delete', old.id, {old}); "
        f"INSERT INTO {name}(rowid, {columns}) VALUES (new.id, {new}); END",
    ]


def _backfill() -> None:
    from bot.text import cjk_index_text

    bind = op.get_bind()
    items = sa.table('items', sa.column('id'), sa.column('title'), sa.column('summary'),
                     sa.column('search_cjk'))
    rows = bind.execute(sa.select(items.c.id, items.c.title, items.c.summary)).all()
    updates = [{"i": i, "s": cjk_index_text(t or "", s or "")} for i, t, s in rows]
    updates = [u for u in updates if u["s"]]
    if updates:
        bind.execute(
            items.update().where(items.c.id == sa.bindparam("i")).values(
                search_cjk=sa.bindparam("s")),
            updates,
        )


def upgrade() -> None:
    with op.batch_alter_table('items', schema=None) as batch_op:
        batch_op.add_column(sa.Column('search_cjk', sa.Text(), nullable=True))
    _backfill()
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        for name in _TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        op.execute("DROP TABLE IF EXISTS items_fts")
        for statement in _fts_table("items_fts", "title, summary",
                                    "porter unicode61 remove_diacritics 2"):
            op.execute(statement)
        for statement in _fts_table("items_cjk", "search_cjk", "porter unicode61"):
            op.execute(statement)
    elif bind.dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_items_fts")
        op.execute("CREATE INDEX ix_items_fts ON items USING GIN "
                   "(to_tsvector('english', coalesce(title, '') || ' ' || coalesce(summary, '')))")
        op.execute("CREATE INDEX ix_items_cjk ON items USING GIN "
                   "(to_tsvector('simple', coalesce(search_cjk, '')))")


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        for table in ("items_fts", "items_cjk"):
            for action in ("insert", "delete", "update"):
                op.execute(f"DROP TRIGGER IF EXISTS {table}_{action}")
            op.execute(f"DROP TABLE IF EXISTS {table}")
    elif bind.dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_items_cjk")
        op.execute("DROP INDEX IF EXISTS ix_items_fts")
    with op.batch_alter_table('items', schema=None) as batch_op:
        batch_op.drop_column('search_cjk')
    if bind.dialect.name == "sqlite":
        for statement in _fts_table("items_fts", "title, summary",
                                    "unicode61 remove_diacritics 2"):
            op.execute(statement)
    elif bind.dialect.name == "postgresql":
        op.execute("CREATE INDEX ix_items_fts ON items USING GIN "
                   "(to_tsvector('simple', coalesce(title, '') || ' ' || coalesce(summary, '')))")
