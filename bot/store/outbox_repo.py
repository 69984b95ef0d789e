"""The delivery outbox: claim due rows with a lease, then mark each sent, retried or failed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from bot.store.schema import Classification, Delivery, DestinationState, Item, Source, Story


@dataclass(frozen=True)
class PendingDelivery:
    id: int
    story_id: int
    destination: str
    rule_name: str
    mentions: tuple[str, ...]
    attempts: int
    item: dict[str, Any]
    classification: dict[str, Any]
    source_name: str
    also_reported: tuple[str, ...]


def broken_destinations(session: Session) -> set[str]:
    return set(
        session.scalars(select(DestinationState.name).where(DestinationState.status == "broken"))
    )


def claim_deliveries(
    session: Session, now: datetime, limit: int, owner: str, lease: float, skip: set[str]
) -> list[PendingDelivery]:
    query = (
        select(Delivery)
        .where(
            Delivery.status == "pending",
            Delivery.next_attempt_at <= now,
            or_(Delivery.lease_until.is_(None), Delivery.lease_until < now),
        )
        .order_by(Delivery.next_attempt_at, Delivery.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    if skip:
        query = query.where(Delivery.destination.not_in(skip))
    rows = list(session.scalars(query))
    out = []
    for row in rows:
        row.lease_owner, row.lease_until = owner, now + timedelta(seconds=lease)
        item = session.get(Item, row.item_id)
        cls = session.get(Classification, row.item_id)
        assert item is not None
        source = session.get(Source, item.source_id)
        others = session.scalars(
            select(Source.name)
            .join(Item, Item.source_id == Source.id)
            .where(Item.story_id == row.story_id, Item.id != item.id)
            .distinct()
            .limit(5)
        )
        out.append(
            PendingDelivery(
                row.id,
                row.story_id,
                row.destination,
                row.rule_name,
                tuple(row.mentions),
                row.attempts,
                {
                    c: getattr(item, c)
                    for c in ("id", "title", "url", "summary", "published_at", "hub")
                },
                {
                    c: getattr(cls, c)
                    for c in (
                        "primary_country",
                        "countries",
                        "primary_org",
                        "orgs",
                        "kind",
                        "modalities",
                        "open_weights",
                        "licence",
                        "params",
                        "confidence",
                        "reasons",
                        "derivative_of",
                    )
                }
                if cls
                else {},
                source.name if source else "?",
                tuple(others),
            )
        )
    session.flush()
    return out


def release(session: Session, delivery_ids: list[int]) -> None:
    """Give claimed deliveries back to the queue without counting an attempt."""
    session.execute(
        update(Delivery)
        .where(Delivery.id.in_(delivery_ids), Delivery.status == "pending")
        .values(lease_owner=None, lease_until=None)
    )


def mark_sent(session: Session, delivery_id: int, now: datetime, external_id: str | None) -> None:
    session.execute(
        update(Delivery)
        .where(Delivery.id == delivery_id)
        .values(
            status="sent",
            sent_at=now,
            external_id=external_id,
            attempts=Delivery.attempts + 1,
            lease_owner=None,
            lease_until=None,
            last_error=None,
        )
    )


def mark_retry(session: Session, delivery_id: int, error: str, next_attempt_at: datetime) -> None:
    session.execute(
        update(Delivery)
        .where(Delivery.id == delivery_id)
        .values(
            attempts=Delivery.attempts + 1,
            last_error=error[:1000],
            next_attempt_at=next_attempt_at,
            lease_owner=None,
            lease_until=None,
        )
    )


def mark_failed(session: Session, delivery_id: int, error: str) -> None:
    session.execute(
        update(Delivery)
        .where(Delivery.id == delivery_id)
        .values(
            status="failed",
            attempts=Delivery.attempts + 1,
            last_error=error[:1000],
            lease_owner=None,
            lease_until=None,
        )
    )


def mark_broken(session: Session, name: str, reason: str, now: datetime) -> None:
    row = session.get(DestinationState, name)
    if row is None:
        session.add(DestinationState(name=name, status="broken", reason=reason, updated_at=now))
    else:
        row.status, row.reason, row.updated_at = "broken", reason, now


def outbox_depth(session: Session) -> dict[str, int]:
    rows = session.execute(
        select(Delivery.destination, func.count())
        .where(Delivery.status == "pending")
        .group_by(Delivery.destination)
    )
    return {name: count for name, count in rows}


def story_title(session: Session, story_id: int) -> str:
    story = session.get(Story, story_id)
    return story.title if story else ""
