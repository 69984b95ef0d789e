"""Every PostgreSQL advisory lock racewatch takes, in one table, so that no two can collide.

Fixed locks serialise one kind of work across processes; a role lock (the chat gateway, a
digest, the weekly post) elects one holder for that role. SQLite has one process and needs
none of them.
"""

from __future__ import annotations

import zlib
from enum import IntEnum


class Lock(IntEnum):
    MIGRATIONS = 7260001  # processes starting together migrate one at a time
    SOURCE_SYNC = 7260002  # ... and sync the configured sources one at a time
    STORIES = 0x72616365  # "race": story assignment, so one release starts one story


def role_lock(role: str) -> int:
    """The lock that elects the holder of ``role`` ("chat", "digest:NAME"...)."""
    return zlib.crc32(f"racewatch:{role}".encode())
