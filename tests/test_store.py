"""The database: migrations on start, WAL on SQLite, and refusals that keep data safe."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import text

from bot.errors import StoreError
from bot.store.db import current_revision, make_engine, open_store, upgrade


def test_a_new_database_is_migrated_to_the_latest_schema_in_wal_mode(tmp_path: Path) -> None:
    engine, _ = open_store(f"sqlite:///{tmp_path / 'a' / 'rw.sqlite3'}")
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        tables = {
            r[0] for r in conn.execute(text("SELECT name FROM sqlite_master WHERE type='table'"))
        }
    assert {
        "sources",
        "items",
        "classifications",
        "rule_matches",
        "stories",
        "deliveries",
    } <= tables
    assert current_revision(engine) is not None
    assert upgrade(engine)[0] == upgrade(engine)[1]  # running it again changes nothing


def test_a_database_from_a_newer_racewatch_is_refused_and_left_untouched(tmp_path: Path) -> None:
    path = tmp_path / "rw.sqlite3"
    engine, _ = open_store(f"sqlite:///{path}")
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999_future'"))
        conn.execute(text("CREATE TABLE precious (x INTEGER)"))
        conn.execute(text("INSERT INTO precious VALUES (42)"))
    engine.dispose()
    with pytest.raises(StoreError, match="created by a newer racewatch"):
        open_store(f"sqlite:///{path}")
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT x FROM precious").fetchone() == (42,)
        assert conn.execute("SELECT version_num FROM alembic_version").fetchone() == (
            "9999_future",
        )


@pytest.mark.skipif(
    os.geteuid() == 0, reason="root can write anywhere, so the folder cannot be made unwritable"
)
def test_an_unwritable_data_directory_is_a_clear_error(tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        with pytest.raises(StoreError, match="cannot"):
            open_store(f"sqlite:///{locked / 'sub' / 'rw.sqlite3'}")
    finally:
        locked.chmod(0o700)


def test_a_data_directory_that_is_a_file_is_a_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "data"
    blocker.write_text("not a folder")
    with pytest.raises(StoreError, match="cannot create the data directory"):
        make_engine(f"sqlite:///{blocker / 'rw.sqlite3'}")


def test_a_nonsense_database_url_is_named() -> None:
    with pytest.raises(StoreError, match="not valid"):
        make_engine("not a url at all")


def test_upgrading_a_store_with_items_fills_the_gaps_daily_totals(tmp_path: Path) -> None:
    from alembic import command

    from bot.store.db import _alembic_config

    engine = make_engine(f"sqlite:///{tmp_path / 'rw.sqlite3'}")
    command.upgrade(_alembic_config(engine), "0003")  # a store from before the totals
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO sources (id, name, type, url, spec, origin, trusted, status, "
                "interval_s, next_poll_at, failure_count, baseline_done, items_seen) VALUES "
                "(1, 'news', 'feed', 'https://n.example/', '{}', 'config', 1, 'active', 600, "
                "'2026-11-01 00:00:00', 0, 1, 3)"
            )
        )
        for n, (published, story, country) in enumerate(
            [
                ("2026-11-20 23:30:00", 1, "CN"),  # starts story 1
                ("2026-11-21 08:00:00", 1, "CN"),  # more coverage of story 1: not counted
                ("2026-11-21 09:00:00", 2, "US"),
            ],
            start=1,
        ):
            if n != 2:
                conn.execute(
                    text(
                        "INSERT INTO stories (id, title, first_item_id, item_count, created_at,"
                        " updated_at) VALUES (:s, 't', :n, 1, :p, :p)"
                    ),
                    {"s": story, "n": n, "p": published},
                )
            conn.execute(
                text(
                    "INSERT INTO items (id, source_id, guid, title, summary, published_at, "
                    "fetched_at, authors, tags, baseline, story_id) VALUES "
                    "(:n, 1, :g, 't', '', :p, :p, '[]', '[]', 0, :s)"
                ),
                {"n": n, "g": f"g{n}", "p": published, "s": story},
            )
            conn.execute(
                text(
                    "INSERT INTO classifications (item_id, primary_country, countries, "
                    "primary_org, orgs, kind, modalities, open_weights, confidence, reasons) "
                    "VALUES (:n, :c, '[]', NULL, '[]', 'model_release', '[]', 'yes', 0.9, '[]')"
                ),
                {"n": n, "c": country},
            )
    upgrade(engine)
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT day, country, kind, open_weights, org, stories FROM release_days")
        ).all()
    assert sorted(rows) == [
        ("2026-11-20", "CN", "model_release", "yes", "", 1),
        ("2026-11-21", "US", "model_release", "yes", "", 1),
    ]


@pytest.mark.parametrize("store", ["sqlite", "postgresql"])
@pytest.mark.slow
def test_the_migrations_build_exactly_the_schema_the_code_declares(
    store: str, tmp_path: Path
) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from bot.store.schema import Base
    from tests.conftest import fresh_postgres_database

    if store == "sqlite":
        urls = iter([f"sqlite:///{tmp_path / 'rw.sqlite3'}"])
    else:
        urls = fresh_postgres_database()
    for url in urls:
        engine, _ = open_store(url)
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
        engine.dispose()
        # full-text search lives outside the models (FTS5 tables, a GIN expression index)
        search = ("fts", "items_cjk")  # FTS5 tables and their shadows, GIN indexes
        assert [d for d in diff if not any(word in repr(d) for word in search)] == []
