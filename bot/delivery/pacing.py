"""Per-channel pacing: stay under each platform's per-channel message rate."""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable

# (messages, seconds) per channel, from the platforms' documentation and staff guidance
RATES = {"slack": (1, 1.1), "discord": (5, 5.0), "discord_webhook": (5, 5.0), "webhook": (10, 1.0)}


class Pacer:
    """At most ``count`` sends in any ``per`` seconds; callers wait their turn."""

    def __init__(self, count: int, per: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.count, self.per, self.clock = count, per, clock
        self._sent: deque[float] = deque()
        self._lock = asyncio.Lock()

    async def wait(self) -> None:
        async with self._lock:
            while True:
                now = self.clock()
                while self._sent and now - self._sent[0] >= self.per:
                    self._sent.popleft()
                if len(self._sent) < self.count:
                    self._sent.append(now)
                    return
                await asyncio.sleep(self.per - (now - self._sent[0]) + 0.01)
