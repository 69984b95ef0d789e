"""Per-channel pacing shared by every process through the database.

One row per channel holds the earliest time its next message may go out. Taking a slot is
a compare-and-set on that row (no lock held while anyone sleeps), so N processes sending to
one channel share one budget instead of each spending the whole of it.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bot.store.items_repo import _table, insert_ignore
from bot.store.schema import ChannelPace


def take_slot(session: Session, channel: str, now: datetime, step: float) -> datetime | None:
    """Reserve the channel's next slot: returns when this send may start (``now`` or later),
    or None when another process moved the row meanwhile (call again)."""
    insert_ignore(session, _table(ChannelPace), [{"channel": channel, "next_at": now}])
    current = session.scalar(select(ChannelPace.next_at).where(ChannelPace.channel == channel))
    if current is None:
        return None
    slot = max(current, now)
    moved = session.execute(
        update(ChannelPace)
        .where(ChannelPace.channel == channel, ChannelPace.next_at == current)
        .values(next_at=slot + timedelta(seconds=step))
    )
    return slot if getattr(moved, "rowcount", 0) else None
