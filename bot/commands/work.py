"""Where chat commands run: their own bounded threads, apart from ingest, delivery, health
and the heartbeat (which use the event loop's default pool), and per-user rate limits.

Two lanes: reading commands on ``light`` threads; dry runs and other heavy work on at most
``heavy`` threads, refused (not queued) when all are busy, so a flood of heavy requests can
never occupy the threads that answer ``latest``.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from bot.commands.reply import UserError

T = TypeVar("T")


class ChatWork:
    def __init__(self, light: int = 4, heavy: int = 2) -> None:
        self._light = ThreadPoolExecutor(light, thread_name_prefix="chat")
        self._heavy = ThreadPoolExecutor(heavy, thread_name_prefix="chat-heavy")
        self._heavy_slots = threading.BoundedSemaphore(heavy)

    async def run(self, fn: Callable[[], T]) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._light, fn)

    async def run_heavy(self, fn: Callable[[], T]) -> T:
        """``fn`` on a heavy thread, or a polite refusal when every heavy thread is busy."""
        if not self._heavy_slots.acquire(blocking=False):
            raise UserError(
                "racewatch is busy with other dry runs right now; try again in a minute."
            )

        def guarded() -> T:
            try:
                return fn()
            finally:
                self._heavy_slots.release()

        return await asyncio.get_running_loop().run_in_executor(self._heavy, guarded)

    def close(self) -> None:
        self._light.shutdown(wait=False, cancel_futures=True)
        self._heavy.shutdown(wait=False, cancel_futures=True)


class RateLimit:
    """At most ``per_minute`` expensive commands per user in any 60 seconds."""

    def __init__(self, per_minute: int = 6, clock: Callable[[], float] = time.monotonic) -> None:
        self.per_minute, self.clock = per_minute, clock
        self._seen: dict[str, deque[float]] = {}

    def check(self, user: str, what: str) -> None:
        now = self.clock()
        times = self._seen.setdefault(user, deque())
        while times and now - times[0] >= 60:
            times.popleft()
        if len(times) >= self.per_minute:
            wait = int(60 - (now - times[0])) + 1
            raise UserError(
                f"You have asked for {what} {len(times)} times in a minute; "
                f"please wait {wait} s and try again."
            )
        times.append(now)
        if len(self._seen) > 10_000:  # forget users idle for a minute
            self._seen = {u: t for u, t in self._seen.items() if t and now - t[-1] < 60}
