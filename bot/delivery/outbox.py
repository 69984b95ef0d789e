"""The outbox worker: claim due deliveries, render, send, and record the outcome.

At-least-once sending with a unique row per story and destination; a delivery is marked sent
in its own transaction right after the platform accepts it. Transient failures retry with
full-jitter backoff (never sooner than a 429's retry-after); permanent ones mark the
destination broken and tell the admin destination.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from bot.alerts.card import AlertCard, build_card
from bot.attribution.classify import Classification
from bot.attribution.registry import Registry
from bot.delivery.base import DeliveryError, Sender
from bot.items import HubFacts
from bot.store import outbox_repo
from bot.store.outbox_repo import PendingDelivery

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 12
RETRY_BASE, RETRY_CAP = 5.0, 900.0
LEASE = 120.0


def card_for(pending: PendingDelivery, registry: Registry) -> AlertCard:
    item, c = pending.item, pending.classification
    cls = Classification(
        primary_country=c.get("primary_country"),
        countries=tuple(c.get("countries") or ()),
        primary_org=c.get("primary_org"),
        orgs=tuple(c.get("orgs") or ()),
        kind=c.get("kind", "other"),
        modalities=tuple(c.get("modalities") or ()),
        open_weights=c.get("open_weights", "unknown"),
        licence=c.get("licence"),
        params=c.get("params"),
        confidence=c.get("confidence", 0.0),
        reasons=tuple(c.get("reasons") or ()),
        derivative_of=c.get("derivative_of"),
    )
    card = build_card(
        story_id=pending.story_id,
        item_id=item["id"],
        title=item["title"],
        url=item["url"],
        summary_text=item["summary"],
        source=pending.source_name,
        published_at=item["published_at"],
        hub=HubFacts.from_dict(item["hub"]),
        cls=cls,
        registry=registry,
        rule=pending.rule_name,
        mentions=pending.mentions,
    )
    if pending.also_reported:
        card = replace(card, also_reported=pending.also_reported)
    return card


class OutboxWorker:
    def __init__(
        self,
        *,
        sessions: sessionmaker[Session],
        senders: Mapping[str, Sender],
        registry: Registry,
        owner: str,
        clock: Callable[[], datetime],
        admin: str | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.sessions, self.senders, self.registry = sessions, senders, registry
        self.owner, self.clock, self.admin = owner, clock, admin
        self.rng = rng or random.Random()
        self.stopping = False

    async def drain(self, batch: int = 50) -> int:
        """Send everything due now; returns how many alerts were sent."""
        sent = 0
        while True:
            claimed = await asyncio.to_thread(self._claim, batch)
            if not claimed:
                return sent
            for index, pending in enumerate(claimed):
                if self.stopping:  # hand the rest back so a restart sends them at once
                    rest = [p.id for p in claimed[index:]]
                    await asyncio.to_thread(self._write, outbox_repo.release, rest)
                    return sent
                sent += await self._deliver(pending)
            if len(claimed) < batch:
                return sent

    def _claim(self, batch: int) -> list[PendingDelivery]:
        with self.sessions.begin() as session:
            broken = outbox_repo.broken_destinations(session)
            return outbox_repo.claim_deliveries(
                session, self.clock(), batch, self.owner, LEASE, broken
            )

    async def _deliver(self, pending: PendingDelivery) -> int:
        sender = self.senders.get(pending.destination)
        if sender is None:
            await asyncio.to_thread(
                self._write,
                outbox_repo.mark_failed,
                pending.id,
                f"destination '{pending.destination}' is no longer configured",
            )
            return 0
        try:
            card = card_for(pending, self.registry)
            external_id = await sender.send(card)
        except DeliveryError as exc:
            await self._failed(pending, exc)
            return 0
        except Exception as exc:
            log.exception("unexpected error delivering to %s", pending.destination)
            await self._failed(pending, DeliveryError(f"internal error: {exc}"))
            return 0
        await asyncio.to_thread(
            self._write, outbox_repo.mark_sent, pending.id, self.clock(), external_id
        )
        return 1

    async def _failed(self, pending: PendingDelivery, exc: DeliveryError) -> None:
        now = self.clock()
        if exc.permanent:
            reason = f"destination '{pending.destination}' is broken: {exc}"
            log.error("%s; not retrying it until it is fixed (racewatch doctor)", reason)
            await asyncio.to_thread(
                self._write, outbox_repo.mark_broken, pending.destination, str(exc), now
            )
            await asyncio.to_thread(self._write, outbox_repo.mark_retry, pending.id, str(exc), now)
            await self.tell_admin(reason, exclude=pending.destination)
            return
        if pending.attempts + 1 >= MAX_ATTEMPTS:
            log.error(
                "giving up on delivery %d to %s after %d attempts: %s",
                pending.id,
                pending.destination,
                pending.attempts + 1,
                exc,
            )
            await asyncio.to_thread(self._write, outbox_repo.mark_failed, pending.id, str(exc))
            return
        delay = self.rng.uniform(0, min(RETRY_CAP, RETRY_BASE * 2**pending.attempts))
        if exc.retry_after is not None:
            delay = max(delay, exc.retry_after)
        log.warning(
            "delivery to %s failed (%s); retrying in %.0f s", pending.destination, exc, delay
        )
        await asyncio.to_thread(
            self._write,
            outbox_repo.mark_retry,
            pending.id,
            str(exc),
            now + timedelta(seconds=delay),
        )

    async def tell_admin(self, text: str, exclude: str | None = None) -> None:
        if not self.admin or self.admin == exclude or self.admin not in self.senders:
            return
        try:
            await self.senders[self.admin].notice(text)
        except DeliveryError as exc:
            log.warning("could not tell the admin destination: %s", exc)

    def _write(self, fn: Callable[..., None], *args: object) -> None:
        with self.sessions.begin() as session:
            fn(session, *args)
