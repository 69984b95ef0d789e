"""Open the database, apply migrations, and refuse a database made by a newer racewatch."""

from __future__ import annotations

import contextlib
import functools
import logging
import re
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from bot.errors import StoreError
from bot.store.locks import Lock

if TYPE_CHECKING:  # alembic takes a third of a second to import: only when migrating
    from alembic.config import Config as AlembicConfig

log = logging.getLogger(__name__)
MIGRATIONS = Path(__file__).resolve().parent / "migrations"
SUPPORTED_URLS = "sqlite:///PATH or postgresql://USER:PASSWORD@HOST:PORT/DATABASE"


def _shown(url: str) -> str:
    """The URL without its password (the part between ':' and '@' after the scheme)."""
    return re.sub(r"(://[^:/@]*:)[^@/]*@", r"\1***@", url)


def normalise_url(url: str) -> str:
    """Accept the usual ``postgresql://`` and ``postgres://`` spellings and use psycopg 3."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cursor = dbapi_conn.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def make_engine(url: str) -> Engine:
    """An engine for ``url``; for SQLite, creates the folder and turns on WAL."""
    url = normalise_url(url)
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise StoreError(
            f"database URL '{_shown(url)}' is not valid; expected {SUPPORTED_URLS}"
        ) from None
    if parsed.get_backend_name() not in ("sqlite", "postgresql"):
        raise StoreError(
            f"database URL '{parsed.render_as_string(hide_password=True)}' is not supported: "
            f"racewatch stores its data in SQLite or PostgreSQL, {SUPPORTED_URLS}"
        )
    if parsed.get_backend_name() == "sqlite":
        db_path = parsed.database
        if db_path and db_path != ":memory:":
            folder = Path(db_path).expanduser().parent
            try:
                folder.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StoreError(
                    f"cannot create the data directory {folder}: {exc.strerror}; "
                    "set data_dir in the config or RACEWATCH_DATA_DIR"
                ) from None
        engine = create_engine(url, connect_args={"timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    try:
        return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=5)
    except (ImportError, ModuleNotFoundError):
        raise StoreError(
            "PostgreSQL support needs psycopg: pip install 'racewatch[postgres]'"
        ) from None


def _alembic_config(engine: Engine) -> AlembicConfig:
    from alembic.config import Config as AlembicConfig

    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["engine"] = engine
    return cfg


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


@contextlib.contextmanager
def _migration_lock(engine: Engine) -> Iterator[None]:
    """Several processes starting at once on PostgreSQL migrate one at a time."""
    if engine.dialect.name != "postgresql":
        yield
        return
    with engine.connect() as conn:
        conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": int(Lock.MIGRATIONS)})
        conn.commit()
        try:
            yield
        finally:
            conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": int(Lock.MIGRATIONS)})
            conn.commit()


def upgrade(engine: Engine) -> tuple[str | None, str | None]:
    """Apply pending migrations; return (before, after) revisions.

    A database stamped with a revision this version does not know was written by a newer
    racewatch: we stop rather than guess, and touch nothing.
    """
    from alembic import command
    from alembic.script import ScriptDirectory
    from alembic.util.exc import CommandError

    cfg = _alembic_config(engine)
    script = ScriptDirectory.from_config(cfg)
    where = engine.url.render_as_string(hide_password=True)
    try:
        before = current_revision(engine)
    except OperationalError as exc:
        raise StoreError(f"cannot open the database {where}: {exc.orig}") from None
    if before is not None:
        try:
            script.get_revision(before)
        except CommandError:
            raise StoreError(
                f"the database {where} was created by a newer racewatch "
                f"(schema revision {before}); "
                "upgrade racewatch, or point DATABASE_URL at another database"
            ) from None
    try:
        with _migration_lock(engine):
            command.upgrade(cfg, "head")
    except OperationalError as exc:
        raise StoreError(f"cannot migrate the database {where}: {exc.orig}") from None
    except SQLAlchemyError as exc:
        raise StoreError(f"migrating the database {where} failed: {exc}") from None
    after = current_revision(engine)
    if before != after:
        log.info("database schema upgraded from %s to %s", before or "empty", after)
    return before, after


_REVISION = re.compile(r"^(revision|down_revision)\b[^=\n]*=\s*['\"]([\w-]+)['\"]\s*$", re.M)


@functools.cache
def _head_revision() -> str | None:
    """The one head of the shipped migrations, read from their files; ``None`` when there
    is not exactly one (then alembic decides)."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in (MIGRATIONS / "versions").glob("*.py"):
        for key, value in _REVISION.findall(path.read_text(encoding="utf-8")):
            (revisions if key == "revision" else parents).add(value)
    heads = revisions - parents
    return heads.pop() if len(heads) == 1 else None


def schema_is_current(engine: Engine) -> bool:
    """Whether the database is stamped with the newest migration: then starting needs no
    migration, and alembic is not even imported."""
    head = _head_revision()
    if head is None:
        return False
    try:
        with engine.connect() as conn:
            stamped = conn.execute(text("SELECT version_num FROM alembic_version")).scalars()
            return list(stamped) == [head]
    except SQLAlchemyError:  # no table yet, or no database: the migration path says why
        return False


def open_store(url: str, *, migrate: bool = True) -> tuple[Engine, sessionmaker[Session]]:
    engine = make_engine(url)
    if migrate and not schema_is_current(engine):
        upgrade(engine)
    return engine, sessionmaker(engine, expire_on_commit=False)
