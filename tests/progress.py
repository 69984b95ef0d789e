"""Waiting in end-to-end tests: a budget that follows progress, not a fixed wall clock.

A loaded 2-core machine makes real processes slow, not stuck. ``until_done`` waits as long as
the count it watches keeps moving and fails only after ``stall`` seconds without progress,
with the processes' own logs in the message, so a failure says what the processes saw.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable


async def until_done(
    count: Callable[[], int],
    target: int,
    what: str,
    *,
    stall: float = 90.0,
    logs: Callable[[], str] = lambda: "",
) -> None:
    """Return once ``count() >= target``; fail when it has not moved for ``stall`` seconds."""
    last = count()
    moved = time.monotonic()
    while last < target:
        await asyncio.sleep(0.1)
        now = count()
        if now != last:
            last, moved = now, time.monotonic()
        elif time.monotonic() - moved > stall:
            raise AssertionError(
                f"no progress for {stall:.0f} s waiting for {what}: {last} of {target}\n{logs()}"
            )
