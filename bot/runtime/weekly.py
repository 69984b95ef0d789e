"""The weekly state-of-the-race post: composed from the store, sent once per destination
and week by one process of the group (an advisory lock, then a row per destination)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from datetime import datetime

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from bot.alerts.report import RaceReport
from bot.attribution.registry import Registry
from bot.commands.weekly import compose
from bot.config.settings import ReportSettings
from bot.delivery.base import DeliveryError, Sender
from bot.runtime.election import Election
from bot.store.schema import ReportSent

log = logging.getLogger(__name__)


class WeeklyPost:
    def __init__(
        self,
        *,
        engine: Engine,
        sessions: sessionmaker[Session],
        senders: Mapping[str, Sender],
        registry: Registry,
        settings: ReportSettings,
        clock: Callable[[], datetime],
    ) -> None:
        self.engine, self.sessions, self.senders = engine, sessions, senders
        self.registry, self.settings, self.clock = registry, settings, clock

    def destinations(self) -> list[str]:
        return [d for d in (self.settings.notify or list(self.senders)) if d in self.senders]

    def compose(self) -> RaceReport:
        def name(org_id: str) -> str:
            org = self.registry.get(org_id)
            return org.name if org else org_id

        with self.sessions.begin() as session:
            return compose(session, self.clock(), name)

    async def send(self) -> dict[str, str]:
        """Post this week's report where it has not gone yet; destination -> outcome."""
        once = Election(self.engine, "state-of-the-race")
        if not await asyncio.to_thread(once.try_acquire):
            return {}
        try:
            report = await asyncio.to_thread(self.compose)
            outcomes = {}
            for destination in self.destinations():
                outcomes[destination] = await self._send_one(report, destination)
            return outcomes
        finally:
            await asyncio.to_thread(once.release)

    async def _send_one(self, report: RaceReport, destination: str) -> str:
        def sent_before() -> bool:
            with self.sessions.begin() as session:
                return (
                    session.scalar(
                        select(ReportSent.key).where(
                            ReportSent.key == report.key, ReportSent.destination == destination
                        )
                    )
                    is not None
                )

        if await asyncio.to_thread(sent_before):
            return "already sent"
        try:
            message = await self.senders[destination].send_report(report)
        except DeliveryError as exc:
            log.warning("the weekly post to %s failed: %s", destination, exc)
            return f"failed: {exc}"

        def record() -> None:
            with self.sessions.begin() as session:
                session.add(
                    ReportSent(
                        key=report.key,
                        destination=destination,
                        message_id=message,
                        sent_at=self.clock(),
                    )
                )

        await asyncio.to_thread(record)
        return "sent"
