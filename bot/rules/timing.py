"""Quiet hours, caps and digests in a rule's own timezone. Pure functions."""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

_QUIET = re.compile(r"^\s*([01]?\d|2[0-3]):([0-5]\d)\s*-\s*([01]?\d|2[0-3]):([0-5]\d)\s*$")
DEFAULT_DIGEST = "0 * * * *"  # where a cap's overflow goes when a rule names no digest


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"unknown timezone '{name}'; use a name like Europe/London or Asia/Shanghai"
        ) from None


def parse_quiet_hours(text: str) -> tuple[time, time]:
    match = _QUIET.match(text)
    if not match:
        raise ValueError(f"quiet_hours '{text}' should look like 22:00-07:00")
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    if (h1, m1) == (h2, m2):
        raise ValueError("quiet_hours start and end are the same")
    return time(h1, m1), time(h2, m2)


def quiet_until(now: datetime, quiet_hours: str | None, tz: str) -> datetime | None:
    """When the current quiet period ends (UTC), or ``None`` when it is not quiet now."""
    if not quiet_hours:
        return None
    start, end = parse_quiet_hours(quiet_hours)
    local = now.astimezone(zone(tz))
    t = local.time()
    inside = (start <= t < end) if start < end else (t >= start or t < end)
    if not inside:
        return None
    end_local = local.replace(hour=end.hour, minute=end.minute, second=0, microsecond=0)
    if end_local <= local:
        end_local += timedelta(days=1)
    return end_local.astimezone(now.tzinfo)


def check_cron(expression: str, timezone: str) -> None:
    """Raise ValueError with a readable message when a crontab expression is invalid."""
    from apscheduler.triggers.cron import CronTrigger  # the scheduler's own parser, lazily

    try:
        CronTrigger.from_crontab(expression, timezone=timezone)
    except (ValueError, TypeError) as exc:
        raise ValueError(
            f"'{expression}' is not a valid cron schedule ({exc}); "
            "write it like '0 9 * * 1-5' (minute hour day month weekday)"
        ) from None
