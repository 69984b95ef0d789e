"""One holder for single-connection roles (the Discord gateway, Slack Socket Mode).

On PostgreSQL a session-level advisory lock on a dedicated connection elects the holder; when
that process dies its connection closes, the lock is freed, and another process takes over
at its next try. On SQLite there is only ever one process, so it always holds the role.
"""

from __future__ import annotations

import logging

from sqlalchemy import Connection, Engine, text

from bot.store.locks import role_lock

log = logging.getLogger(__name__)


class Election:
    def __init__(self, engine: Engine, role: str) -> None:
        self.engine = engine
        self.role = role
        self.key = role_lock(role)
        self._conn: Connection | None = None

    @property
    def held(self) -> bool:
        return self._conn is not None or self.engine.dialect.name != "postgresql"

    def try_acquire(self) -> bool:
        if self.engine.dialect.name != "postgresql":
            return True
        if self._conn is not None:
            try:
                self._conn.execute(text("SELECT 1"))
                return True
            except Exception:  # the connection died: so did our lock
                log.warning("lost the %s role (database connection closed)", self.role)
                self._conn = None
        conn = self.engine.connect()
        got = bool(conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": self.key}).scalar())
        conn.commit()
        if got:
            self._conn = conn
            log.info("this process now holds the %s role", self.role)
        else:
            conn.close()
        return got

    def still_held(self) -> bool:
        """Re-check the lock: it lives exactly as long as its connection, so a dead connection
        means another process may hold the role already."""
        if self.engine.dialect.name != "postgresql":
            return True
        if self._conn is None:
            return False
        try:
            self._conn.execute(text("SELECT 1"))
            return True
        except Exception:
            log.warning("lost the %s role (database connection closed)", self.role)
            try:
                self._conn.close()
            except Exception:
                log.debug("closing the dead connection failed", exc_info=True)
            self._conn = None
            return False

    def release(self) -> None:
        if self._conn is not None:
            try:
                self._conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": self.key})
                self._conn.commit()
            finally:
                self._conn.close()
                self._conn = None
