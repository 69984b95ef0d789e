"""Digests and the weekly post: when each fires, and one process of the group sends it.

Each rule with a digest (or whose hourly or daily cap needs one for its overflow) gets a
cron job; firing takes the rule's advisory lock, so a group of processes sends it once.
The weekly state-of-the-race post (:mod:`bot.runtime.weekly`) has its own cron job.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from bot.config.settings import ReportSettings
from bot.delivery.base import Sender
from bot.delivery.outbox import OutboxWorker
from bot.rules.model import Rule
from bot.rules.timing import DEFAULT_DIGEST
from bot.store import outbox_repo

if TYPE_CHECKING:  # APScheduler and the weekly post load when used (not by a cron poll)
    from bot.runtime.scheduler import Scheduler
    from bot.runtime.weekly import WeeklyPost

log = logging.getLogger(__name__)


class Digests:
    def __init__(
        self,
        *,
        engine: Engine,
        sessions: sessionmaker[Session],
        outbox: OutboxWorker,
        senders: Mapping[str, Sender],
        report: ReportSettings,
        rules: Callable[[], list[Rule]],
        drain_lock: asyncio.Lock,
        clock: Callable[[], datetime],
    ) -> None:
        self.engine = engine
        self.sessions = sessions
        self.outbox = outbox
        self.senders = senders
        self.report = report
        self.rules = rules  # the rules in force, file and chat rules together
        self.drain_lock = drain_lock  # a digest is not sent while the outbox drains
        self.clock = clock
        self._scheduler: Scheduler | None = None

    def schedule(self, scheduler: Scheduler) -> None:
        """Every digest and the weekly post on ``scheduler``; rules added later are
        scheduled by :meth:`rules_changed`."""
        self._scheduler = scheduler
        self._schedule_digests(scheduler)
        self._schedule_weekly_post(scheduler)

    def rules_changed(self) -> None:
        if self._scheduler is not None:
            self._schedule_digests(self._scheduler)

    def _schedule_digests(self, scheduler: Scheduler) -> None:
        """One cron job per rule that has a digest, or whose cap overflow needs one."""
        from bot.runtime.scheduler import add_cron_job

        for rule in self.rules():
            cron = rule.digest or (
                DEFAULT_DIGEST if rule.cap_per_hour or rule.cap_per_day else None
            )
            if cron is None:
                continue

            async def fire(name: str = rule.name) -> None:
                await self.send_digest(name)

            add_cron_job(scheduler, f"digest:{rule.name}", cron, rule.timezone, fire)

    def weekly_post(self) -> WeeklyPost:
        from bot.runtime.weekly import WeeklyPost

        return WeeklyPost(
            engine=self.engine,
            sessions=self.sessions,
            senders=self.senders,
            registry=self.outbox.registry,
            settings=self.report,
            clock=self.clock,
        )

    def _schedule_weekly_post(self, scheduler: Scheduler) -> None:
        report = self.report
        if not report.enabled:
            return
        from bot.runtime.scheduler import add_cron_job

        async def fire() -> None:
            try:
                outcomes = await self.weekly_post().send()
            except Exception:
                log.exception("the weekly state-of-the-race post failed")
                return
            for destination, outcome in outcomes.items():
                log.info("weekly state-of-the-race post to %s: %s", destination, outcome)

        add_cron_job(scheduler, "state-of-the-race", report.cron, report.timezone, fire)

    async def send_digest(self, rule: str) -> int:
        from bot.runtime.election import Election

        once = Election(self.engine, f"digest:{rule}")  # one process of the group sends it
        if not await asyncio.to_thread(once.try_acquire):
            return 0
        try:
            return await self._send_held(rule)
        finally:
            await asyncio.to_thread(once.release)

    async def _send_held(self, rule: str) -> int:
        async with self.drain_lock:
            try:
                return await self.outbox.send_digest(rule)
            except Exception:
                log.exception("sending the digest for rule %s failed; it stays held", rule)
                return 0

    async def send_all(self) -> int:
        """Every held alert now, whatever the schedules say (``racewatch digest --now``)."""
        rules = await asyncio.to_thread(self._held_rules)
        return sum([await self.send_digest(rule) for rule in sorted(rules)])

    def _held_rules(self) -> set[str]:
        with self.sessions.begin() as session:
            return outbox_repo.held_rules(session)
