"""The gap scoreboard: releases by country and kind over a window, against the window before.

Counted in SQL, by story (ten outlets covering Qwen3 are one release), so it stays fast on a
large store; re-uploads of someone else's model (derivatives) are not releases.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Integer, and_, func, select
from sqlalchemy.orm import Session

from bot.store.schema import Classification, Item

RELEASE_KINDS = ("model_release", "open_source", "product_launch")
MAIN = ("CN", "US")


@dataclass(frozen=True)
class CountryLine:
    country: str
    releases: int
    previous: int
    open_weights: int
    by_kind: dict[str, int] = field(default_factory=dict)
    top_orgs: list[tuple[str, int]] = field(default_factory=list)

    @property
    def open_share(self) -> float:
        return self.open_weights / self.releases if self.releases else 0.0


@dataclass(frozen=True)
class Scoreboard:
    days: int
    since: datetime
    until: datetime
    lines: list[CountryLine]
    total_items: int
    best_rank: dict[str, tuple[int, str]] = field(default_factory=dict)  # country -> (rank, model)


def _window(since: datetime, until: datetime):  # type: ignore[no-untyped-def]
    return and_(
        Item.published_at >= since,
        Item.published_at < until,
        Classification.primary_country.is_not(None),
        Classification.derivative_of.is_(None),
    )


def _group(country: str | None) -> str:
    return country if country in MAIN else "other"


def _counts(session: Session, since: datetime, until: datetime, *extra: object) -> dict[str, int]:
    stories = func.count(func.distinct(func.coalesce(Item.story_id, -Item.id)))
    rows = session.execute(
        select(Classification.primary_country, stories)
        .join(Item, Item.id == Classification.item_id)
        .where(_window(since, until), Classification.kind.in_(RELEASE_KINDS), *extra)  # type: ignore[arg-type]
        .group_by(Classification.primary_country)
    )
    out: dict[str, int] = {}
    for country, n in rows:
        out[_group(country)] = out.get(_group(country), 0) + int(n)
    return out


def scoreboard(session: Session, now: datetime, days: int) -> Scoreboard:
    since = now - timedelta(days=days)
    releases = _counts(session, since, now)
    previous = _counts(session, since - timedelta(days=days), since)
    opened = _counts(session, since, now, Classification.open_weights == "yes")
    stories = func.count(func.distinct(func.coalesce(Item.story_id, -Item.id)))
    kinds: dict[str, dict[str, int]] = {}
    for country, kind, n in session.execute(
        select(Classification.primary_country, Classification.kind, stories)
        .join(Item, Item.id == Classification.item_id)
        .where(_window(since, now))
        .group_by(Classification.primary_country, Classification.kind)
    ):
        bucket = kinds.setdefault(_group(country), {})
        bucket[kind] = bucket.get(kind, 0) + int(n)
    orgs: dict[str, list[tuple[str, int]]] = {}
    for country, org, n in session.execute(
        select(Classification.primary_country, Classification.primary_org, stories)
        .join(Item, Item.id == Classification.item_id)
        .where(
            _window(since, now),
            Classification.kind.in_(RELEASE_KINDS),
            Classification.primary_org.is_not(None),
        )
        .group_by(Classification.primary_country, Classification.primary_org)
        .order_by(stories.desc())
    ):
        if country in MAIN and org and len(orgs.setdefault(country, [])) < 3:
            orgs[country].append((org, int(n)))
    total = (
        session.scalar(select(func.count()).select_from(Item).where(Item.published_at >= since))
        or 0
    )
    lines = [
        CountryLine(
            c,
            releases.get(c, 0),
            previous.get(c, 0),
            opened.get(c, 0),
            dict(sorted(kinds.get(c, {}).items(), key=lambda kv: -kv[1])),
            orgs.get(c, []),
        )
        for c in (*MAIN, "other")
        if c in MAIN or releases.get(c) or kinds.get(c)
    ]
    return Scoreboard(days, since, now, lines, int(total), best_ranks(session))


def best_ranks(session: Session) -> dict[str, tuple[int, str]]:
    """Each country's best LMArena rank, from the leaderboard items racewatch stored."""
    out: dict[str, tuple[int, str]] = {}
    for (guid,) in session.execute(
        select(Item.guid)
        .where(Item.guid.like("lmarena:%:best:%"))
        .order_by(Item.id.desc())
        .limit(50)
    ):
        parts = guid.split(":")
        if len(parts) >= 6 and parts[3] not in out and parts[-1].isdigit():
            out[parts[3]] = (int(parts[-1]), ":".join(parts[4:-1]))
    return out


def weekly(
    session: Session, now: datetime, days: int
) -> tuple[list[datetime], dict[str, list[int]]]:
    """Releases per week per main country, oldest week first (for the chart), in one query."""
    weeks = max(2, days // 7)
    starts = [now - timedelta(days=7 * (weeks - i)) for i in range(weeks)]
    if session.get_bind().dialect.name == "postgresql":
        age: Any = func.floor(func.extract("epoch", now - Item.published_at) / 604800)
    else:
        naive = now.replace(tzinfo=None)
        age = func.cast((func.julianday(naive) - func.julianday(Item.published_at)) / 7, Integer)
    stories = func.count(func.distinct(func.coalesce(Item.story_id, -Item.id)))
    series: dict[str, list[int]] = {c: [0] * weeks for c in MAIN}
    rows = session.execute(
        select(Classification.primary_country, age, stories)
        .join(Item, Item.id == Classification.item_id)
        .where(
            _window(starts[0], now),
            Classification.kind.in_(RELEASE_KINDS),
            Classification.primary_country.in_(MAIN),
        )
        .group_by(Classification.primary_country, age)
    )
    for country, weeks_ago, n in rows:
        index = weeks - 1 - int(weeks_ago)
        if 0 <= index < weeks:
            series[country][index] += int(n)
    return starts, series
