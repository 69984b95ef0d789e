"""Full-jitter exponential backoff: how long to wait before trying again. Pure; the
randomness is passed in (a seeded ``random.Random`` in tests)."""

from __future__ import annotations

import random


def full_jitter(
    failures: int,
    base: float,
    cap: float,
    rng: random.Random,
    *,
    floor: float = 0.0,
    retry_after: float | None = None,
) -> float:
    """Seconds to wait after ``failures`` failures in a row: uniform between 0 and
    ``base * 2**failures`` (at most ``cap``), at least ``floor``, and never sooner than the
    server's ``retry_after``. Spreading retries over the whole window keeps many clients
    that failed together from retrying together."""
    ceiling = min(cap, base * 2 ** min(failures, 30))
    delay = max(floor, rng.uniform(0, ceiling))
    if retry_after is not None:
        delay = max(delay, retry_after)
    return delay
