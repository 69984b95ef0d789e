"""Heartbeats of racewatch processes, for ``racewatch status`` and ``/healthz``."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from bot.store.schema import Delivery, Process, Source

ALIVE_WITHIN = timedelta(seconds=60)


def heartbeat(
    session: Session,
    *,
    owner: str,
    host: str,
    pid: int,
    version: str,
    roles: list[str],
    now: datetime,
    destinations: list[str] | None = None,
) -> None:
    row = session.get(Process, owner)
    if row is None:
        session.add(
            Process(
                owner=owner,
                host=host,
                pid=pid,
                version=version,
                started_at=now,
                heartbeat_at=now,
                roles=roles,
                destinations=destinations,
            )
        )
    else:
        row.heartbeat_at, row.roles, row.destinations = now, roles, destinations
    # forget processes silent for a day; their leases have long expired
    session.execute(delete(Process).where(Process.heartbeat_at < now - timedelta(days=1)))


def forget(session: Session, owner: str) -> None:
    session.execute(delete(Process).where(Process.owner == owner))


def status(session: Session, now: datetime) -> dict[str, object]:
    processes = [
        {
            "owner": p.owner,
            "host": p.host,
            "pid": p.pid,
            "version": p.version,
            "roles": p.roles,
            "destinations": p.destinations,
            "alive": p.heartbeat_at >= now - ALIVE_WITHIN,
            "heartbeat_at": p.heartbeat_at,
            "sources_leased": session.scalar(
                select(func.count())
                .select_from(Source)
                .where(Source.lease_owner == p.owner, Source.lease_until > now)
            )
            or 0,
            "deliveries_leased": session.scalar(
                select(func.count())
                .select_from(Delivery)
                .where(Delivery.lease_owner == p.owner, Delivery.lease_until > now)
            )
            or 0,
        }
        for p in session.scalars(select(Process).order_by(Process.started_at))
    ]
    queues: dict[str, dict[str, int]] = {}
    for destination, state, count in session.execute(
        select(Delivery.destination, Delivery.status, func.count())
        .where(Delivery.status.in_(("pending", "held", "failed", "expired")))
        .group_by(Delivery.destination, Delivery.status)
    ):
        queues.setdefault(destination, {})[state] = int(count)
    sources = dict(
        session.execute(select(Source.status, func.count()).group_by(Source.status)).all()
    )
    due = (
        session.scalar(
            select(func.count())
            .select_from(Source)
            .where(Source.status == "active", Source.next_poll_at <= now)
        )
        or 0
    )
    return {
        "processes": processes,
        "queues": queues,
        "sources": sources,
        "due_now": due,
        "unserved": unserved(processes, queues),
    }


def unserved(processes: list[dict[str, Any]], queues: dict[str, dict[str, int]]) -> dict[str, int]:
    """Pending rows per destination that no live process can send to (each process reports
    the destinations it has a sender for); empty when no live process says what it serves."""
    alive = [p for p in processes if p["alive"]]
    if not alive or any(p["destinations"] is None for p in alive):
        return {}
    served = {d for p in alive for d in p["destinations"]}
    return {
        destination: counts["pending"]
        for destination, counts in sorted(queues.items())
        if counts.get("pending") and destination not in served
    }
