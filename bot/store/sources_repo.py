"""Source rows: sync from configuration, claim what is due (with leases), record outcomes."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cached_property
from typing import Any

from sqlalchemy import bindparam, or_, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.config.settings import SourceSpec
from bot.sources import kinds
from bot.sources.kinds.base import SourceBase
from bot.sources.kinds.huggingface import HuggingfaceSource
from bot.store.locks import Lock
from bot.store.schema import Source


@dataclass(frozen=True)
class DueSource:
    """A claimed source, detached from the session: what one poll needs to know."""

    id: int
    name: str
    type: str
    url: str
    spec: dict[str, Any]
    trusted: bool
    etag: str | None
    last_modified: str | None
    content_hash: str | None
    failure_count: int
    baseline_done: bool
    interval_s: float

    @cached_property
    def settings(self) -> SourceBase:
        """The source's settings, typed by its kind (bot/sources/kinds/)."""
        return kinds.spec_of(self.type, self.spec)


def source_url(spec: SourceSpec) -> str:
    """What the source is, as shown to users; hub URLs are built at fetch time from the
    configured endpoints, so a mirror change needs no database edit."""
    return kinds.kind_of(spec.type).label(spec)


def sync_sources(
    session: Session, specs: Sequence[SourceSpec], now: datetime, default_interval: float
) -> int:
    """Make the table match the configuration; returns how many sources changed.

    Sources removed from the configuration are marked removed (their items stay). An edited
    source that had been paused is resumed: editing it is how an operator says "try again".
    """
    if session.get_bind().dialect.name == "postgresql":
        # processes starting together sync one after another (each then sees the others' rows)
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": int(Lock.SOURCE_SYNC)})
    existing = {s.name: s for s in session.scalars(select(Source))}
    changed = 0
    for spec in specs:
        if not spec.enabled:
            continue
        data = spec.model_dump(mode="json", exclude_none=True)
        interval = spec.interval or default_interval
        row = existing.pop(spec.name, None)
        if row is None:
            session.add(
                Source(
                    name=spec.name,
                    type=spec.type,
                    url=source_url(spec),
                    spec=data,
                    origin="config",
                    trusted=True,
                    status="active",
                    interval_s=interval,
                    next_poll_at=now + timedelta(seconds=random.uniform(0, 5)),
                )
            )
            changed += 1
        elif row.spec != data or row.status == "removed" or row.origin != "config":
            row.origin, row.trusted = "config", True  # the operator's file wins over chat
            if row.url != source_url(spec):
                row.etag = row.last_modified = row.content_hash = None
            row.type, row.url, row.spec, row.interval_s = (
                spec.type,
                source_url(spec),
                data,
                interval,
            )
            row.status, row.paused_reason, row.failure_count, row.next_poll_at = (
                "active",
                None,
                0,
                now,
            )
            changed += 1
    for row in existing.values():
        if row.origin == "config" and row.status != "removed":
            row.status = "removed"
            changed += 1
    session.flush()
    return changed


def claim_due(
    session: Session, now: datetime, limit: int, owner: str, lease: float
) -> list[DueSource]:
    """Claim up to ``limit`` due sources for ``owner``; other processes skip locked rows."""
    query = (
        select(Source)
        .where(
            Source.status == "active",
            Source.next_poll_at <= now,
            or_(Source.lease_until.is_(None), Source.lease_until < now),
        )
        .order_by(Source.next_poll_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    rows = list(session.scalars(query))
    until = now + timedelta(seconds=lease)
    for row in rows:
        row.lease_owner, row.lease_until = owner, until
    session.flush()
    return [_detached(r) for r in rows]


def make_all_due(session: Session, now: datetime) -> None:
    session.execute(update(Source).where(Source.status == "active").values(next_poll_at=now))


def make_new_due(session: Session, now: datetime) -> None:
    """Sources never polled are due now (new ones are otherwise spread over a few seconds)."""
    session.execute(
        update(Source)
        .where(
            Source.status == "active", Source.last_polled_at.is_(None), Source.next_poll_at > now
        )
        .values(next_poll_at=now)
    )


def find_hub_source(session: Session, namespace: str) -> DueSource | None:
    """The active Hugging Face source watching ``namespace`` (case-insensitive), if any."""
    for row in session.scalars(
        select(Source).where(Source.type == "huggingface", Source.status == "active")
    ):
        found = _detached(row)
        spec = found.settings
        if isinstance(spec, HuggingfaceSource) and spec.org.lower() == namespace.lower():
            return found
    return None


def _detached(r: Source) -> DueSource:
    return DueSource(
        r.id,
        r.name,
        r.type,
        r.url,
        dict(r.spec),
        r.trusted,
        r.etag,
        r.last_modified,
        r.content_hash,
        r.failure_count,
        r.baseline_done,
        r.interval_s,
    )


def record_success(
    session: Session,
    source_id: int,
    *,
    now: datetime,
    next_poll_at: datetime,
    etag: str | None,
    last_modified: str | None,
    content_hash: str | None,
    new_items: int,
    baseline_done: bool,
    notice: str | None = None,
) -> None:
    session.execute(
        _SUCCESS,
        {
            "b_id": source_id,
            "b_etag": etag,
            "b_modified": last_modified,
            "b_hash": content_hash,
            "b_now": now,
            "b_next": next_poll_at,
            "b_new": new_items,
            "b_baseline": baseline_done,
            "b_notice": notice[:1000] if notice else None,
        },
    )


def _success_statement() -> Any:
    """record_success's UPDATE, built once: it runs for every source that had news, and
    building the statement cost more than running it."""
    table: Any = Source.__table__
    c = table.c
    return (
        update(table)
        .where(c.id == bindparam("b_id"))
        .values(
            etag=bindparam("b_etag", type_=c.etag.type),
            last_modified=bindparam("b_modified", type_=c.last_modified.type),
            content_hash=bindparam("b_hash", type_=c.content_hash.type),
            failure_count=0,
            last_error=None,
            last_success_at=bindparam("b_now", type_=c.last_success_at.type),
            last_polled_at=bindparam("b_now", type_=c.last_polled_at.type),
            next_poll_at=bindparam("b_next", type_=c.next_poll_at.type),
            items_seen=c.items_seen + bindparam("b_new", type_=c.items_seen.type),
            baseline_done=bindparam("b_baseline", type_=c.baseline_done.type),
            notice=bindparam("b_notice", type_=c.notice.type),
            lease_owner=None,
            lease_until=None,
        )
    )


_SUCCESS = _success_statement()


def record_unchanged(session: Session, rows: list[dict[str, Any]]) -> None:
    """Many sources that answered 304 or the same bytes, in one executemany."""
    if not rows:
        return
    session.execute(
        _UNCHANGED,
        [
            {
                "b_id": r["id"],
                "b_etag": r["etag"],
                "b_modified": r["last_modified"],
                "b_now": r["now"],
                "b_next": r["next_poll_at"],
            }
            for r in rows
        ],
    )


def _unchanged_statement() -> Any:
    table: Any = Source.__table__
    c = table.c
    return (
        update(table)
        .where(c.id == bindparam("b_id"))
        .values(
            etag=bindparam("b_etag", type_=c.etag.type),
            last_modified=bindparam("b_modified", type_=c.last_modified.type),
            failure_count=0,
            last_error=None,
            last_success_at=bindparam("b_now", type_=c.last_success_at.type),
            last_polled_at=bindparam("b_now", type_=c.last_polled_at.type),
            next_poll_at=bindparam("b_next", type_=c.next_poll_at.type),
            lease_owner=None,
            lease_until=None,
        )
    )


_UNCHANGED = _unchanged_statement()


def record_failure(
    session: Session,
    source_id: int,
    *,
    now: datetime,
    error: str,
    next_poll_at: datetime,
    pause: bool,
) -> None:
    values: dict[str, Any] = dict(
        failure_count=Source.failure_count + 1,
        last_error=error[:1000],
        last_error_at=now,
        last_polled_at=now,
        next_poll_at=next_poll_at,
        lease_owner=None,
        lease_until=None,
    )
    if pause:
        values.update(status="paused", paused_reason=error[:1000])
    session.execute(update(Source).where(Source.id == source_id).values(**values))


def resume(session: Session, name: str | None, now: datetime) -> list[str]:
    """Resume one paused source by name, or every paused source; returns their names."""
    query = select(Source).where(Source.status == "paused")
    if name:
        query = query.where(Source.name == name)
    rows = list(session.scalars(query))
    for row in rows:
        row.status, row.paused_reason, row.failure_count, row.next_poll_at = "active", None, 0, now
    return [r.name for r in rows]


def list_sources(session: Session) -> list[Source]:
    return list(
        session.scalars(select(Source).where(Source.status != "removed").order_by(Source.name))
    )


def find_source(session: Session, name: str) -> Source | None:
    """A source by name, unless it was removed."""
    return session.scalar(select(Source).where(Source.name == name, Source.status != "removed"))


class SourceNameTaken(Exception):
    """A source with this name exists (and is not removed)."""


class NotFromChat(Exception):
    """The source comes from the configuration file; chat cannot change it."""


def add_chat_source(
    session: Session, name: str, url: str, spec: dict[str, Any], interval_s: float, now: datetime
) -> None:
    """Add a source from chat, or bring back a removed one of the same name with this URL."""
    row = session.scalar(select(Source).where(Source.name == name))
    if row is not None and row.status != "removed":
        raise SourceNameTaken(name)
    try:
        with session.begin_nested():
            _fill_chat_source(session, row, name, url, spec, interval_s, now)
    except IntegrityError:  # added at the same moment by someone else
        raise SourceNameTaken(name) from None


def _fill_chat_source(
    session: Session,
    row: Source | None,
    name: str,
    url: str,
    spec: dict[str, Any],
    interval_s: float,
    now: datetime,
) -> None:
    if row is None:
        row = Source(name=name, items_seen=0)
        session.add(row)
    row.type, row.url, row.spec, row.origin, row.trusted = "feed", url, spec, "chat", False
    row.status, row.paused_reason, row.interval_s, row.next_poll_at = (
        "active",
        None,
        interval_s,
        now,
    )
    row.failure_count, row.last_error, row.etag, row.last_modified = 0, None, None, None
    row.content_hash, row.lease_owner, row.lease_until = None, None, None
    row.baseline_done = False  # a new address starts with a silent baseline again


def remove_chat_source(session: Session, name: str) -> None:
    row = find_source(session, name)
    if row is None:
        raise LookupError(name)
    if row.origin != "chat":
        raise NotFromChat(name)
    row.status = "removed"


def count_chat_sources(session: Session, workspace: str) -> int:
    """Sources added from one workspace or guild's chat and not removed."""
    specs = session.scalars(
        select(Source.spec).where(Source.origin == "chat", Source.status != "removed")
    )
    return sum(1 for spec in specs if (spec or {}).get("chat_workspace") == workspace)
