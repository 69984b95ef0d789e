"""What the metrics gauges read from the shared database: the outbox's depth and lag."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.store.schema import Delivery


def pending(session: Session) -> tuple[dict[str, int], datetime | None]:
    """Pending deliveries per destination, and when the oldest of them was queued."""
    depths = {
        destination: int(count)
        for destination, count in session.execute(
            select(Delivery.destination, func.count())
            .where(Delivery.status == "pending")
            .group_by(Delivery.destination)
        )
    }
    oldest = session.scalar(
        select(func.min(Delivery.created_at)).where(Delivery.status == "pending")
    )
    if oldest is not None and oldest.tzinfo is None:
        oldest = oldest.replace(tzinfo=UTC)
    return depths, oldest
