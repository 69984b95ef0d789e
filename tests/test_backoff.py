"""The one full-jitter backoff, used by the poller (sources) and the outbox (alerts)."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from bot.backoff import full_jitter
from bot.runtime.timing import MIN_RETRY, backoff


@pytest.mark.parametrize(
    ("failures", "base", "cap", "most"),
    [
        (0, 5.0, 900.0, 5.0),
        (3, 5.0, 900.0, 40.0),
        (20, 5.0, 900.0, 900.0),
        (500, 5.0, 900.0, 900.0),
    ],
)
def test_the_wait_is_spread_over_the_whole_window(
    failures: int, base: float, cap: float, most: float
) -> None:
    rng = random.Random(7)
    waits = [full_jitter(failures, base, cap, rng) for _ in range(500)]
    assert min(waits) >= 0 and max(waits) <= most
    assert max(waits) > most * 0.9 and min(waits) < most * 0.1  # full jitter, not "equal"


@pytest.mark.parametrize(
    ("floor", "retry_after", "least"), [(30.0, None, 30.0), (0.0, 120.0, 120.0), (30.0, 5.0, 30.0)]
)
def test_never_sooner_than_the_floor_or_the_servers_wish(
    floor: float, retry_after: float | None, least: float
) -> None:
    rng = random.Random(1)
    waits = [
        full_jitter(2, 5.0, 900.0, rng, floor=floor, retry_after=retry_after) for _ in range(200)
    ]
    assert min(waits) >= least


def test_a_source_waits_at_least_min_retry_and_a_retry_after_up_to_the_cap() -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    rng = random.Random(3)
    assert backoff(now, 0, 1.0, 3600.0, rng) - now >= timedelta(seconds=MIN_RETRY)
    assert backoff(now, 0, 1.0, 3600.0, rng, retry_after=10**6) - now == timedelta(hours=1)
