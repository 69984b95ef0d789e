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

from bot.store.schema import Classification, Item, Source

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


def _grouped(
    session: Session, since: datetime, until: datetime
) -> list[tuple[str, str, str, str | None, int]]:
    """(country, kind, open weights, organisation, stories) for a window, in one query.

    Each story counts once, with its first item's classification: ten outlets covering
    Qwen3 are one release, wherever they file it."""
    firsts = (
        select(func.min(Item.id).label("id"))
        .join(Classification, Classification.item_id == Item.id)
        .where(_window(since, until))
        .group_by(func.coalesce(Item.story_id, -Item.id))
        .subquery()
    )
    rows = session.execute(
        select(
            Classification.primary_country,
            Classification.kind,
            Classification.open_weights,
            Classification.primary_org,
            func.count(),
        )
        .join(firsts, firsts.c.id == Classification.item_id)
        .group_by(
            Classification.primary_country,
            Classification.kind,
            Classification.open_weights,
            Classification.primary_org,
        )
    )
    return [(str(c), str(k), str(o), org, int(n)) for c, k, o, org, n in rows]


def scoreboard(session: Session, now: datetime, days: int) -> Scoreboard:
    """Two grouped queries (this window and the one before); the rest is arithmetic."""
    since = now - timedelta(days=days)
    current = _grouped(session, since, now)
    before = _grouped(session, since - timedelta(days=days), since)
    releases: dict[str, int] = {}
    previous: dict[str, int] = {}
    opened: dict[str, int] = {}
    kinds: dict[str, dict[str, int]] = {}
    org_counts: dict[str, dict[str, int]] = {}
    for country, kind, open_weights, org, n in current:
        group = _group(country)
        kinds.setdefault(group, {})[kind] = kinds.setdefault(group, {}).get(kind, 0) + n
        if kind not in RELEASE_KINDS:
            continue
        releases[group] = releases.get(group, 0) + n
        if open_weights == "yes":
            opened[group] = opened.get(group, 0) + n
        if org and country in MAIN:
            org_counts.setdefault(country, {})[org] = (
                org_counts.setdefault(country, {}).get(org, 0) + n
            )
    for country, kind, _o, _org, n in before:
        if kind in RELEASE_KINDS:
            previous[_group(country)] = previous.get(_group(country), 0) + n
    orgs = {
        c: sorted(counts.items(), key=lambda kv: -kv[1])[:3] for c, counts in org_counts.items()
    }
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
    leaderboards = select(Source.id).where(Source.type == "leaderboard")  # uses the index
    for (guid,) in session.execute(
        select(Item.guid)
        .where(Item.source_id.in_(leaderboards), Item.guid.like("lmarena:%:best:%"))
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
