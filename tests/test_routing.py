"""How a matched alert is queued (bot/alerts/routing.disposition), case by case."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from bot.alerts.routing import disposition
from bot.rules.model import Rule

NOON = datetime(2026, 11, 25, 12, tzinfo=UTC)
NIGHT = datetime(2026, 11, 25, 23, 30, tzinfo=UTC)
MORNING = datetime(2026, 11, 26, 7, tzinfo=UTC)


@pytest.mark.parametrize(
    ("rule", "hour", "day", "now", "status", "at", "digest"),
    [
        ({}, 0, 0, NOON, "pending", NOON, None),
        ({"priority": "low"}, 0, 0, NOON, "pending", NOON, None),
        ({"mode": "digest", "digest": "0 9 * * *"}, 0, 0, NOON, "held", NOON, "r"),
        ({"cap_per_hour": 3}, 2, 2, NOON, "pending", NOON, None),
        ({"cap_per_hour": 3}, 3, 3, NOON, "held", NOON, "r"),  # the cap's overflow: digest
        ({"cap_per_day": 10}, 0, 10, NOON, "held", NOON, "r"),
        ({"quiet_hours": "22:00-07:00"}, 0, 0, NOON, "pending", NOON, None),
        ({"quiet_hours": "22:00-07:00"}, 0, 0, NIGHT, "pending", MORNING, None),
        ({"quiet_hours": "22:00-07:00", "priority": "high"}, 0, 0, NIGHT, "pending", NIGHT, None),
        (  # quiet hours are read in the rule's time zone: 23:30 UTC is 08:30 in Tokyo
            {"quiet_hours": "22:00-07:00", "timezone": "Asia/Tokyo"},
            0,
            0,
            NIGHT,
            "pending",
            NIGHT,
            None,
        ),
    ],
)
def test_disposition(
    rule: dict[str, Any],
    hour: int,
    day: int,
    now: datetime,
    status: str,
    at: datetime,
    digest: str | None,
) -> None:
    queued = disposition(Rule(name="r", **rule), hour, day, now)
    assert (queued.status, queued.next_attempt_at, queued.digest_rule) == (status, at, digest)


def test_high_priority_goes_first() -> None:
    ranks = [
        disposition(Rule(name="r", priority=p), 0, 0, NOON).priority
        for p in ("high", "normal", "low")
    ]  # type: ignore[arg-type]
    assert ranks == sorted(ranks)
