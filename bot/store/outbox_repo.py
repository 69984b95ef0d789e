"""The delivery outbox: claim due rows with a lease, then mark each sent, retried or failed."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from bot.store.schema import Classification, Delivery, DestinationState, Item, Source

ITEM_FIELDS = ("id", "title", "url", "summary", "summary_llm", "published_at", "hub")
CLASS_FIELDS = (
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
    "derivative",
    "base_model",
    "uploader",
)


@dataclass(frozen=True)
class Coverage:
    source: str
    title: str
    url: str | None


@dataclass(frozen=True)
class PendingDelivery:
    """A claimed outbox row with everything needed to render it, detached from the session."""

    id: int
    story_id: int
    destination: str
    rule_name: str
    kind: str  # alert | update
    mentions: tuple[str, ...]
    attempts: int
    item: dict[str, Any]
    classification: dict[str, Any]
    source_name: str
    coverage: tuple[Coverage, ...]  # the story's other items, other sources first
    reply_to: str | None = None  # for updates: the platform id of the alert
    uncertain: bool = False  # an earlier attempt may have posted it: look before posting
    armed_item: int = 0  # the item the row was (re-)armed with; an update's key depends on it
    batch_key: str | None = None  # the roll-up this row went out in, if one was attempted
    queued_at: datetime | None = None  # when its retry window started

    @property
    def also_reported(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(c.source for c in self.coverage if c.source != self.source_name))


def broken_destinations(session: Session) -> set[str]:
    return set(
        session.scalars(select(DestinationState.name).where(DestinationState.status == "broken"))
    )


def _view(session: Session, row: Delivery, uncertain: bool = False) -> PendingDelivery:
    alert = None
    if row.kind == "update":
        alert = session.scalar(
            select(Delivery).where(
                Delivery.story_id == row.story_id,
                Delivery.destination == row.destination,
                Delivery.kind == "alert",
            )
        )
    shown_id = alert.item_id if alert is not None else row.item_id
    item = session.get(Item, shown_id)
    assert item is not None
    cls = session.get(Classification, shown_id)
    source = session.get(Source, item.source_id)
    others = session.execute(
        select(Source.name, Item.title, Item.url)
        .join(Item, Item.source_id == Source.id)
        .where(Item.story_id == row.story_id, Item.id != shown_id)
        .order_by(Item.id)
        .limit(10)
    )
    return PendingDelivery(
        row.id,
        row.story_id,
        row.destination,
        row.rule_name,
        row.kind,
        tuple(row.mentions),
        row.attempts,
        {c: getattr(item, c) for c in ITEM_FIELDS},
        {c: getattr(cls, c) for c in CLASS_FIELDS} if cls else {},
        source.name if source else "?",
        tuple(Coverage(*r) for r in others),
        alert.external_id if alert is not None else None,
        uncertain,
        row.item_id,
        row.batch_key,
        row.queued_at or row.created_at,
    )


def claim_deliveries(
    session: Session,
    now: datetime,
    limit: int,
    owner: str,
    lease: float,
    skip: set[str],
    only: Collection[str] | None = None,
) -> list[PendingDelivery]:
    """Claim due rows (for the ``only`` destinations, when given), most urgent first; other
    processes skip the locked ones."""
    query = (
        select(Delivery)
        .where(
            Delivery.status == "pending",
            Delivery.next_attempt_at <= now,
            or_(Delivery.lease_until.is_(None), Delivery.lease_until < now),
        )
        .order_by(Delivery.priority, Delivery.next_attempt_at, Delivery.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    if skip:
        query = query.where(Delivery.destination.not_in(skip))
    if only is not None:
        query = query.where(Delivery.destination.in_(list(only)))
    rows = list(session.scalars(query))
    # a lease still set (but expired) means its holder died, maybe mid-send
    uncertain = {row.id for row in rows if row.lease_owner is not None or row.uncertain}
    for row in rows:
        row.lease_owner, row.lease_until = owner, now + timedelta(seconds=lease)
    session.flush()
    return [_view(session, row, row.id in uncertain) for row in rows]


def claim_digest(
    session: Session, rule: str, now: datetime, owner: str, lease: float, limit: int = 200
) -> list[PendingDelivery]:
    """Claim the alerts held for ``rule``'s digest."""
    rows = list(
        session.scalars(
            select(Delivery)
            .where(
                Delivery.status == "held",
                Delivery.digest_rule == rule,
                or_(Delivery.lease_until.is_(None), Delivery.lease_until < now),
            )
            .order_by(Delivery.priority, Delivery.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    )
    for row in rows:
        row.lease_owner, row.lease_until = owner, now + timedelta(seconds=lease)
    session.flush()
    return [_view(session, row) for row in rows]


def claim_batch(
    session: Session, key: str, owner: str, now: datetime, lease: float
) -> list[PendingDelivery] | None:
    """All pending rows of the roll-up ``key``, claimed together so a resend rebuilds the same
    message; None while another process holds any of them."""
    rows = list(
        session.scalars(
            select(Delivery)
            .where(Delivery.batch_key == key, Delivery.status == "pending")
            .order_by(Delivery.id)
            .with_for_update()
        )
    )
    held = [r for r in rows if r.lease_owner not in (None, owner) and (r.lease_until or now) > now]
    if held:
        return None
    uncertain = any(r.uncertain or r.lease_owner not in (None, owner) for r in rows)
    for row in rows:
        row.lease_owner, row.lease_until = owner, now + timedelta(seconds=lease)
    session.flush()
    return [_view(session, row, uncertain) for row in rows]


def set_batch(session: Session, delivery_ids: list[int], key: str) -> None:
    """Record the roll-up these rows are about to go out in, before it is posted."""
    session.execute(update(Delivery).where(Delivery.id.in_(delivery_ids)).values(batch_key=key))


def held_rules(session: Session) -> set[str]:
    return {
        r
        for r in session.scalars(
            select(Delivery.digest_rule).where(Delivery.status == "held").distinct()
        )
        if r
    }


def renew(session: Session, delivery_id: int, owner: str, now: datetime, lease: float) -> bool:
    """Re-assert this process's claim just before sending (compare and set).

    A claim is a lease; if this process was slow and the lease ran out, another process may
    have taken the delivery. Only the current holder may send it, so two processes never post
    the same alert, however long a batch takes.
    """
    result = session.execute(
        update(Delivery)
        .where(
            Delivery.id == delivery_id, Delivery.lease_owner == owner, Delivery.status == "pending"
        )
        .values(lease_until=now + timedelta(seconds=lease))
    )
    return bool(getattr(result, "rowcount", 0))


def release(session: Session, delivery_ids: list[int]) -> None:
    """Give claimed deliveries back to the queue without counting an attempt."""
    session.execute(
        update(Delivery)
        .where(Delivery.id.in_(delivery_ids), Delivery.status.in_(("pending", "held")))
        .values(lease_owner=None, lease_until=None)
    )


def mark_many_sent(
    session: Session, delivery_ids: list[int], now: datetime, external_id: str | None
) -> None:
    session.execute(
        update(Delivery)
        .where(Delivery.id.in_(delivery_ids))
        .values(
            status="sent",
            sent_at=now,
            external_id=external_id,
            attempts=Delivery.attempts + 1,
            lease_owner=None,
            lease_until=None,
            last_error=None,
            uncertain=False,
        )
    )


def mark_sent(session: Session, delivery_id: int, now: datetime, external_id: str | None) -> None:
    mark_many_sent(session, [delivery_id], now, external_id)


def mark_retry(
    session: Session,
    delivery_id: int,
    error: str,
    next_attempt_at: datetime,
    uncertain: bool = False,
) -> None:
    """Retry later. ``uncertain``: the attempt may have posted; it stays so until sent."""
    values: dict[str, Any] = {
        "attempts": Delivery.attempts + 1,
        "last_error": error[:1000],
        "next_attempt_at": next_attempt_at,
        "lease_owner": None,
        "lease_until": None,
    }
    if uncertain:
        values["uncertain"] = True
    session.execute(update(Delivery).where(Delivery.id == delivery_id).values(**values))


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


def mark_broken(session: Session, name: str, reason: str, now: datetime) -> bool:
    """Mark ``name`` broken; True when it was not broken before (a state change to report)."""
    row = session.get(DestinationState, name, with_for_update=True)
    if row is None:
        session.add(DestinationState(name=name, status="broken", reason=reason, updated_at=now))
        return True
    changed = row.status != "broken"
    row.status, row.reason, row.checked_at = "broken", reason, now
    if changed:
        row.updated_at = now
    return changed


def mark_working(session: Session, name: str, now: datetime) -> bool:
    """Clear a broken destination (a probe passed, or an operator resumed it); True when it
    was broken, so exactly one process reports the change."""
    result = session.execute(
        update(DestinationState)
        .where(DestinationState.name == name, DestinationState.status == "broken")
        .values(status="ok", updated_at=now, checked_at=now)
    )
    return bool(getattr(result, "rowcount", 0))


def mark_checked(session: Session, name: str, reason: str, now: datetime) -> None:
    """A probe of a broken destination failed again: keep the latest refusal."""
    session.execute(
        update(DestinationState)
        .where(DestinationState.name == name, DestinationState.status == "broken")
        .values(reason=reason[:1000], checked_at=now)
    )


@dataclass(frozen=True)
class DestinationHealth:
    name: str
    status: str  # ok | broken
    reason: str | None  # the last refusal
    since: datetime | None
    checked_at: datetime | None


def destination_health(session: Session) -> dict[str, DestinationHealth]:
    return {
        row.name: DestinationHealth(
            row.name, row.status, row.reason, row.updated_at, row.checked_at
        )
        for row in session.scalars(select(DestinationState))
    }


def outbox_depth(session: Session) -> dict[str, int]:
    rows = session.execute(
        select(Delivery.destination, func.count())
        .where(Delivery.status == "pending")
        .group_by(Delivery.destination)
    )
    return {name: count for name, count in rows}


def held_count(session: Session) -> int:
    return int(
        session.scalar(select(func.count()).select_from(Delivery).where(Delivery.status == "held"))
        or 0
    )


def mark_expired(session: Session, delivery_id: int, error: str) -> None:
    """Park a row whose retry window has passed; ``racewatch outbox retry`` re-queues it."""
    mark_failed(session, delivery_id, error)
    session.execute(update(Delivery).where(Delivery.id == delivery_id).values(status="expired"))


PARKED = ("failed", "expired")


def requeue(session: Session, delivery_id: int | None, now: datetime) -> list[int]:
    """Put failed and expired rows (one, or all with ``None``) back in the queue, due now,
    with a fresh retry window; returns their ids."""
    query = select(Delivery.id).where(Delivery.status.in_(PARKED))
    if delivery_id is not None:
        query = query.where(Delivery.id == delivery_id)
    ids = list(session.scalars(query))
    if ids:
        session.execute(
            update(Delivery)
            .where(Delivery.id.in_(ids))
            .values(status="pending", next_attempt_at=now, queued_at=now, attempts=0)
        )
    return ids


@dataclass(frozen=True)
class OutboxRow:
    id: int
    destination: str
    kind: str
    state: str  # pending | uncertain | held | failed | expired
    attempts: int
    title: str
    created_at: datetime
    next_attempt_at: datetime
    last_error: str | None


def list_rows(
    session: Session, states: set[str], now: datetime, limit: int = 200
) -> list[OutboxRow]:
    """Rows not sent yet, oldest first. A pending row is ``uncertain`` when an attempt may
    have posted it (a timeout, a reset, or its process died holding it): the next attempt
    looks for the earlier post before posting."""
    statuses = {"pending" if s == "uncertain" else s for s in states}
    rows = session.execute(
        select(Delivery, Item.title)
        .join(Item, Item.id == Delivery.item_id)
        .where(Delivery.status.in_(statuses))
        .order_by(Delivery.created_at, Delivery.id)
    )
    out = []
    for row, title in rows:
        state = row.status
        if state == "pending":
            lapsed = row.lease_owner is not None and (
                row.lease_until is None or row.lease_until < now
            )
            state = "uncertain" if row.uncertain or lapsed else "pending"
        if state in states:
            out.append(
                OutboxRow(
                    row.id,
                    row.destination,
                    row.kind,
                    state,
                    row.attempts,
                    title,
                    row.created_at,
                    row.next_attempt_at,
                    row.last_error,
                )
            )
            if len(out) >= limit:
                break
    return out
