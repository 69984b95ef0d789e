"""The outbox worker: claim due deliveries, render, send, and record the outcome.

At-least-once sending with a unique row per story and destination; a delivery is marked sent
in its own transaction right after the platform accepts it. Transient failures retry with
full-jitter backoff capped at RETRY_CAP (never sooner than a 429's retry-after) for the whole
retry window (``outbox_retry_for``, 24 h by default); then the row is parked as ``expired``
and the admin destination is told once per destination and drain (``racewatch outbox retry``
re-queues it). Permanent ones mark the destination broken and tell the admin destination.

Never doubled: every message has a key derived from what it holds (``keys``), and an
attempt that may have posted (a process that died holding the row, a timeout, a reset, a
database failure after the platform accepted) leaves the row *uncertain*, so the next
attempt asks the sender to look for the earlier post first. Each destination drains in its
own task, so one that hangs never delays the others, paced per channel through the database
(one budget for all processes), and every send is cut well inside the lease, so no other
process takes a row over while it is still being sent.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import random
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import TypeVar

from sqlalchemy.orm import Session, sessionmaker

from bot.alerts.card import AlertCard, Digest, StoryUpdate, build_card
from bot.attribution.classify import Classification
from bot.attribution.registry import Registry
from bot.backoff import full_jitter
from bot.delivery.base import DeliveryError, Sender
from bot.delivery.keys import alert_key, batch_key, update_key
from bot.delivery.pacing import Pacer
from bot.items import HubFacts
from bot.metrics import Metrics
from bot.store import outbox_repo, pace_repo
from bot.store.outbox_repo import PendingDelivery

log = logging.getLogger(__name__)
T = TypeVar("T")
RETRY_BASE, RETRY_CAP = 5.0, 900.0
RETRY_FOR = 86400.0
# short enough that a resend after a crash falls inside Discord's nonce dedupe (a few
# minutes), long enough for a look at the channel plus the post, each cut at 15 s
LEASE = 45.0
SEND_SHARE = 0.75  # of the lease, the most one send (look, pacing, post, parts) may take
ROLL_UP_AT = 10
DRAIN_BATCH = 96  # rows claimed at once per destination: a burst fills two Slack roll-ups


def delivery_key(pending: PendingDelivery) -> str:
    if pending.kind == "update":
        return update_key(pending.id, pending.armed_item)
    return alert_key(pending.id)


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
        derivative=c.get("derivative"),
        base_model=c.get("base_model"),
        uploader=c.get("uploader"),
    )
    card = build_card(
        story_id=pending.story_id,
        item_id=item["id"],
        title=item["title"],
        url=item["url"],
        summary_text=item["summary"],
        llm_summary=item.get("summary_llm"),
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


def update_for(pending: PendingDelivery) -> StoryUpdate:
    coverage = tuple(
        (c.source, c.title, c.url) for c in pending.coverage if c.source != pending.source_name
    )
    return StoryUpdate(pending.story_id, pending.item["title"], pending.reply_to, coverage)


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
        lease: float = LEASE,
        roll_up_at: int = ROLL_UP_AT,
        metrics: Metrics | None = None,
        retry_for: float = RETRY_FOR,
    ) -> None:
        self.sessions, self.senders, self.registry = sessions, senders, registry
        self.owner, self.clock, self.admin = owner, clock, admin
        self.rng = rng or random.Random()
        self.stopping = False
        self.lease = lease
        self.roll_up_at = roll_up_at
        self.metrics = metrics
        self.retry_for = retry_for
        self._expired: dict[str, tuple[int, str]] = {}  # destination: (count, last error)
        self._running: dict[str, asyncio.Task[int]] = {}  # destination -> its drain

    async def drain(self, batch: int = DRAIN_BATCH, wait: float | None = None) -> int:
        """Send everything due now, each destination in its own task; returns how many
        alerts were sent.

        A destination still busy from an earlier drain (a slow or hanging platform) is left
        to it. With ``wait``, stop waiting after that many seconds and let slower
        destinations carry on in the background, so the next drain starts the others again
        (the run loop); without it, wait for every destination started here."""
        started: list[asyncio.Task[int]] = []
        for name in sorted(self.senders):
            if name in self._running:
                continue
            task = asyncio.create_task(self._drain_and_report(name, batch))
            self._running[name] = task
            task.add_done_callback(functools.partial(self._finished, name))
            started.append(task)
        if not started:
            return 0
        done, _pending = await asyncio.wait(started, timeout=wait)
        errors = [e for t in done if not t.cancelled() and (e := t.exception()) is not None]
        if errors and wait is None:
            raise errors[0]
        return sum(t.result() for t in done if not t.cancelled() and not t.exception())

    async def settle(self) -> None:
        """Wait for the destinations' drains still running (once ``stopping`` is set, each
        ends after the send in flight)."""
        if self._running:
            await asyncio.wait(list(self._running.values()))

    def _finished(self, destination: str, task: asyncio.Task[int]) -> None:
        self._running.pop(destination, None)
        if not task.cancelled() and task.exception() is not None:
            log.warning(
                "delivering to %s failed: %s; will try again", destination, task.exception()
            )

    def _batch_for(self, destination: str, batch: int) -> int:
        """No more rows sent one by one than the channel's pace lets this process reach
        inside their lease: a row still waiting when its lease runs out would be taken over
        by another process (which then has to look for it before sending). A claim of more
        than ``roll_up_at`` alerts goes out as a roll-up of a few messages, so only when
        roll-ups cannot bring the sends within reach is the claim cut."""
        pacer = getattr(self.senders[destination], "pacer", None)
        if not isinstance(pacer, Pacer):
            return batch
        reachable = int(self.lease * SEND_SHARE * pacer.count / pacer.per)
        if self.roll_up_at < reachable:
            return batch
        return max(1, min(batch, reachable))

    async def _drain_and_report(self, destination: str, batch: int) -> int:
        try:
            return await self._drain_destination(destination, batch)
        finally:
            await self._report_expired(destination)

    async def _report_expired(self, destination: str) -> None:
        """One admin notice for the rows of ``destination`` this drain parked as expired."""
        count, error = self._expired.pop(destination, (0, ""))
        if count:
            await self.tell_admin(
                f"{count} alert(s) to '{destination}' expired after {self.retry_for / 3600:g} h "
                f"of failed attempts (last error: {error}). `racewatch outbox` lists them and "
                "`racewatch outbox retry --all` sends them again.",
                exclude=destination,
            )

    async def _drain_destination(self, destination: str, batch: int) -> int:
        sent = 0
        batch = self._batch_for(destination, batch)
        while True:
            claimed = await asyncio.to_thread(self._claim, batch, destination)
            if not claimed:
                return sent
            more = len(claimed) == batch  # before roll-ups shrink the list: others may wait
            claimed, rolled = await self._roll_up(destination, claimed)
            sent += rolled
            for index, pending in enumerate(claimed):
                if self.stopping:  # hand the rest back so a restart sends them at once
                    rest = [p.id for p in claimed[index:]]
                    await asyncio.to_thread(self._write, outbox_repo.release, rest)
                    return sent
                sent += await self._deliver(pending)
            if not more:
                return sent

    async def _roll_up(
        self, destination: str, claimed: list[PendingDelivery]
    ) -> tuple[list[PendingDelivery], int]:
        """More than ``roll_up_at`` alerts due at once for one destination (and so one
        channel) become one roll-up, in as many messages as it needs, listing every one.

        A roll-up's rows carry its key from before it is posted, so a resend after a crash
        rebuilds the same message from the same rows and looks for it first."""
        sent = 0
        earlier: dict[str, list[PendingDelivery]] = {}
        for pending in claimed:
            if pending.batch_key:
                earlier.setdefault(pending.batch_key, []).append(pending)
        rest = [p for p in claimed if not p.batch_key]
        for key, mine in earlier.items():
            group = await asyncio.to_thread(self._claim_batch, key)
            if group is None:  # another process holds part of it: it sends the whole
                await asyncio.to_thread(self._write, outbox_repo.release, [p.id for p in mine])
            elif group:
                sent += await self._send_roll_up(destination, key, group, uncertain=True)
        fresh = [p for p in rest if p.kind == "alert"]
        if len(fresh) > self.roll_up_at:
            rest = [p for p in rest if p.kind != "alert"]
            key = batch_key("roll-up", [p.id for p in fresh])
            ids = [p.id for p in fresh]
            await asyncio.to_thread(self._write, outbox_repo.set_batch, ids, key)
            sent += await self._send_roll_up(destination, key, fresh)
        return rest, sent

    async def _send_roll_up(
        self, destination: str, key: str, group: list[PendingDelivery], uncertain: bool = False
    ) -> int:
        """``uncertain``: an attempt at this roll-up was made (its rows carry its key), so
        it is looked for before it is posted, part by part."""
        sender = self.senders[destination]
        await self._pace(destination)
        group = [p for p in group if await asyncio.to_thread(self._still_mine, p.id)]
        if not group:
            return 0
        group.sort(key=lambda p: p.id)
        uncertain = uncertain or any(p.uncertain for p in group)
        digest = Digest("roll-up", tuple(card_for(p, self.registry) for p in group), self.clock())
        try:
            external_id = await self._within_lease(
                sender.send_digest(digest, key, uncertain), destination
            )
        except DeliveryError as exc:
            log.warning("roll-up of %d alerts to %s failed: %s", len(group), destination, exc)
            for pending in group:
                await self._failed(pending, exc)
            return 0
        ids = [p.id for p in group]
        await asyncio.to_thread(
            self._write, outbox_repo.mark_many_sent, ids, self.clock(), external_id
        )
        log.info("rolled %d alerts for %s into one roll-up", len(group), destination)
        return len(group)

    async def _pace(self, destination: str) -> None:
        """Wait for this channel's next slot in the budget every process shares (the
        ``channel_pace`` row), so N processes never send N times the platform's rate. Before
        the lease is renewed: a long wait never eats into the time the send itself has."""
        sender = self.senders[destination]
        channel, pacer = getattr(sender, "pace_channel", None), getattr(sender, "pacer", None)
        if not channel or not isinstance(pacer, Pacer):
            return
        step = pacer.per / pacer.count
        slot = None
        while slot is None:  # another process moved the row between read and write
            slot = await asyncio.to_thread(self._take_slot, str(channel), step)
        wait = (slot - datetime.now(UTC)).total_seconds()
        if wait > 0:
            await asyncio.sleep(wait)

    def _take_slot(self, channel: str, step: float) -> datetime | None:
        with self.sessions.begin() as session:
            return pace_repo.take_slot(session, channel, datetime.now(UTC), step)

    async def _within_lease(self, call: Awaitable[T], destination: str) -> T:
        """A send may take at most its share of the lease: past that, another process could
        take the row over, so it is cut, and its outcome is unknown."""
        limit = self.lease * SEND_SHARE
        try:
            async with asyncio.timeout(limit):
                return await call
        except TimeoutError:
            raise DeliveryError(
                f"sending to {destination} took over {limit:.0f} s", uncertain=True
            ) from None

    async def send_digest(self, rule: str) -> int:
        """Send the alerts held for ``rule`` as one digest per destination; returns how many."""
        claimed = await asyncio.to_thread(self._claim_digest, rule)
        by_destination: dict[str, list[PendingDelivery]] = {}
        for pending in claimed:
            by_destination.setdefault(pending.destination, []).append(pending)
        sent = 0
        for destination, rows in by_destination.items():
            # a digest an earlier attempt may have posted goes again as it was, looked for
            groups: dict[str | None, list[PendingDelivery]] = {}
            for pending in rows:
                groups.setdefault(pending.batch_key, []).append(pending)
            for earlier, group in groups.items():
                sent += await self._send_held(rule, destination, earlier, group)
        return sent

    async def _send_held(
        self, rule: str, destination: str, earlier: str | None, group: list[PendingDelivery]
    ) -> int:
        sender = self.senders.get(destination)
        ids = [p.id for p in group]
        if sender is None:
            await asyncio.to_thread(self._write, outbox_repo.release, ids)
            return 0
        key = earlier or batch_key(f"digest {rule}", ids)
        if earlier is None:
            await asyncio.to_thread(self._write, outbox_repo.set_batch, ids, key)
        digest = Digest(rule, tuple(card_for(p, self.registry) for p in group), self.clock())
        try:
            external_id = await self._within_lease(
                sender.send_digest(digest, key, earlier is not None), destination
            )
        except Exception as exc:  # the held alerts stay held for the next digest
            log.warning("digest for rule %s to %s failed: %s", rule, destination, exc)
            await asyncio.to_thread(self._write, outbox_repo.release, ids)
            return 0
        await asyncio.to_thread(
            self._write, outbox_repo.mark_many_sent, ids, self.clock(), external_id
        )
        return len(group)

    def _claim_digest(self, rule: str) -> list[PendingDelivery]:
        with self.sessions.begin() as session:
            return outbox_repo.claim_digest(session, rule, self.clock(), self.owner, self.lease)

    def _still_mine(self, delivery_id: int) -> bool:
        with self.sessions.begin() as session:
            return outbox_repo.renew(session, delivery_id, self.owner, self.clock(), self.lease)

    def _claim(self, batch: int, destination: str) -> list[PendingDelivery]:
        with self.sessions.begin() as session:
            broken = outbox_repo.broken_destinations(session)
            return outbox_repo.claim_deliveries(
                session, self.clock(), batch, self.owner, self.lease, broken, {destination}
            )

    def _claim_batch(self, key: str) -> list[PendingDelivery] | None:
        with self.sessions.begin() as session:
            return outbox_repo.claim_batch(session, key, self.owner, self.clock(), self.lease)

    async def _deliver(self, pending: PendingDelivery) -> int:
        sender = self.senders.get(pending.destination)
        if sender is None:  # another process serves it (claims skip these; kept for safety)
            await asyncio.to_thread(self._write, outbox_repo.release, [pending.id])
            return 0
        await self._pace(pending.destination)
        if not await asyncio.to_thread(self._still_mine, pending.id):
            log.info("delivery %d was taken over by another process; not sending it", pending.id)
            return 0
        try:
            key, uncertain = delivery_key(pending), pending.uncertain
            if pending.kind == "update":
                call = sender.send_update(update_for(pending), key, uncertain)
            else:
                call = sender.send(card_for(pending, self.registry), key, uncertain)
            external_id = await self._within_lease(call, pending.destination)
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
        if self.metrics:
            self.metrics.deliveries.labels(pending.destination, "sent").inc()
        return 1

    async def _failed(self, pending: PendingDelivery, exc: DeliveryError) -> None:
        now = self.clock()
        if self.metrics:
            outcome = "refused" if exc.permanent else "retry"
            self.metrics.deliveries.labels(pending.destination, outcome).inc()
            if exc.retry_after is not None:
                self.metrics.rate_limited.labels(pending.destination).inc()
        if exc.rejected:  # this message, not the destination: drop it, say so, carry on
            log.error("%s refused delivery %d: %s; dropped", pending.destination, pending.id, exc)
            await asyncio.to_thread(self._write, outbox_repo.mark_failed, pending.id, str(exc))
            await self.tell_admin(
                f"'{pending.destination}' refused one alert (delivery {pending.id}): {exc}. "
                "It was dropped; the destination keeps working.",
                exclude=pending.destination,
            )
            return
        if exc.permanent:
            problems = await self._check(pending.destination)
            if problems is not None and not problems:  # the destination itself is fine
                log.warning(
                    "%s refused (%s) but its check passes; retrying, not marking it broken",
                    pending.destination,
                    exc,
                )
            else:
                refusal = str(exc) + (f" (its check: {'; '.join(problems)})" if problems else "")
                changed = await asyncio.to_thread(
                    self._call, outbox_repo.mark_broken, pending.destination, refusal, now
                )
                reason = f"destination '{pending.destination}' is broken: {refusal}"
                log.error("%s; sending there again once a check passes (racewatch doctor)", reason)
                await asyncio.to_thread(
                    self._write, outbox_repo.mark_retry, pending.id, str(exc), now, exc.uncertain
                )
                if changed:  # once per state change, not once per alert or process
                    await self.tell_admin(
                        reason + ". racewatch checks it again every few minutes; "
                        f"`racewatch destinations resume {pending.destination}` retries now.",
                        exclude=pending.destination,
                    )
                return
        since = pending.queued_at or now
        if (now - since).total_seconds() >= self.retry_for:
            log.error(
                "delivery %d to %s expired after %d attempts over %.0f h: %s",
                pending.id,
                pending.destination,
                pending.attempts + 1,
                self.retry_for / 3600,
                exc,
            )
            await asyncio.to_thread(self._write, outbox_repo.mark_expired, pending.id, str(exc))
            count, _ = self._expired.get(pending.destination, (0, ""))
            self._expired[pending.destination] = (count + 1, str(exc))
            return
        delay = full_jitter(
            pending.attempts, RETRY_BASE, RETRY_CAP, self.rng, retry_after=exc.retry_after
        )
        log.warning(
            "delivery to %s failed (%s); retrying in %.0f s", pending.destination, exc, delay
        )
        await asyncio.to_thread(
            self._write,
            outbox_repo.mark_retry,
            pending.id,
            str(exc),
            now + timedelta(seconds=delay),
            exc.uncertain,
        )

    async def _check(self, destination: str) -> list[str] | None:
        """The destination's own check (token, channel, access): its problems, or None when
        it has no check or the check itself failed to run."""
        check = getattr(self.senders.get(destination), "check", None)
        if check is None:
            return None
        try:
            problems: list[str] = await asyncio.wait_for(check(), 30)
        except Exception:
            log.warning("checking %s failed", destination, exc_info=True)
            return None
        return problems

    async def probe_broken(self) -> list[str]:
        """Check every broken destination this process serves; the ones whose check passes
        work again (their waiting alerts go out at the next drain). Returns their names."""
        health = await asyncio.to_thread(self._call, outbox_repo.destination_health)
        fixed = []
        for name, state in sorted(health.items()):
            if state.status != "broken" or name not in self.senders:
                continue
            problems = await self._check(name)
            now = self.clock()
            if problems is None:
                continue
            if problems:
                reason = "; ".join(problems)
                await asyncio.to_thread(self._write, outbox_repo.mark_checked, name, reason, now)
                log.info("%s is still broken: %s", name, reason)
                continue
            if await asyncio.to_thread(self._call, outbox_repo.mark_working, name, now):
                fixed.append(name)
                log.info("%s passes its check again; sending there again", name)
                await self.tell_admin(f"'{name}' works again; its waiting alerts go out now.")
        return fixed

    def _call(self, fn: Callable[..., T], *args: object) -> T:
        with self.sessions.begin() as session:
            return fn(session, *args)

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
