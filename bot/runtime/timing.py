"""When to poll next and how long to back off. Pure functions; randomness is passed in."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from bot.backoff import full_jitter

MIN_RETRY = 30.0


def next_poll(
    now: datetime, interval: float, jitter: float, rng: random.Random, max_age: float | None = None
) -> datetime:
    """``interval`` spread by +-``jitter``; a longer ``Cache-Control: max-age`` is honoured
    (up to four intervals) so we never ask again before the server says anything changed."""
    delay = interval * (1 + rng.uniform(-jitter, jitter))
    if max_age is not None and max_age > delay:
        delay = min(max_age, interval * 4)
    return now + timedelta(seconds=delay)


def backoff(
    now: datetime,
    failures: int,
    base: float,
    cap: float,
    rng: random.Random,
    retry_after: float | None = None,
) -> datetime:
    """When to poll a failing source again: full-jitter backoff, at least MIN_RETRY away,
    never sooner than the server's ``Retry-After`` (honoured up to ``cap``)."""
    wish = min(retry_after, cap) if retry_after is not None else None
    delay = full_jitter(failures, base, cap, rng, floor=MIN_RETRY, retry_after=wish)
    return now + timedelta(seconds=delay)
