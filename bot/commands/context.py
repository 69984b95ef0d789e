"""What every command handler needs, built once by the composition root."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TypeVar

from sqlalchemy.orm import Session, sessionmaker

from bot.attribution.registry import Registry
from bot.commands.work import ChatWork
from bot.rules.model import Mute, Rule

T = TypeVar("T")


@dataclass
class CommandContext:
    sessions: sessionmaker[Session]
    registry: Registry
    rules: Callable[[], tuple[list[Rule], list[Mute]]]
    max_age: float
    destinations: list[str]
    clock: Callable[[], datetime]
    command: str = "race"
    rules_changed: Callable[[], None] = lambda: None  # called on a chat thread
    send_digests: Callable[[], Awaitable[int]] | None = None
    work: ChatWork = field(default_factory=ChatWork)
    max_chat_rules: int = 200
    max_chat_sources: int = 200
    dry_run_seconds: float = 10.0
    gap_within: float = 20.0  # the capability gap's "within reach", in points

    async def db(self, fn: Callable[[Session], T]) -> T:
        """``fn`` in one transaction, on a chat thread."""

        def work() -> T:
            with self.sessions.begin() as session:
                return fn(session)

        return await self.work.run(work)

    async def db_heavy(self, fn: Callable[[Session], T]) -> T:
        def work() -> T:
            with self.sessions.begin() as session:
                return fn(session)

        return await self.work.run_heavy(work)

    def name_of(self, org_id: str) -> str:
        org = self.registry.get(org_id)
        return org.name if org else org_id
