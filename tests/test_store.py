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
