"""The gap scoreboard: releases by country and kind over a window, against the window before."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from bot.store.schema import Classification, Item

RELEASE_KINDS = ("model_release", "open_source", "product_launch")


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


def _window(
    session: Session, since: datetime, until: datetime
) -> list[tuple[str, str, str, str | None]]:
    """One row per story (its first item's classification): ten outlets covering Qwen3 are
    one release, not ten."""
    rows = session.execute(
        select(
            Item.story_id,
            Classification.primary_country,
            Classification.kind,
            Classification.open_weights,
            Classification.primary_org,
        )
        .join(Item, Item.id == Classification.item_id)
        .where(
            and_(
                Item.published_at >= since,
                Item.published_at < until,
                Classification.primary_country.is_not(None),
                Classification.derivative_of.is_(None),
            )
        )  # a re-upload is not a release
        .order_by(Item.id)
    )
    first: dict[object, tuple[str, str, str, str | None]] = {}
    for story_id, country, kind, open_weights, org in rows:
        key = story_id if story_id is not None else object()
        first.setdefault(key, (str(country), kind, open_weights, org))
    return list(first.values())


def scoreboard(
    session: Session, now: datetime, days: int, countries: tuple[str, ...] = ("CN", "US")
) -> Scoreboard:
    """Releases (models, open-source and product launches) per country: now vs the window before."""
    since = now - timedelta(days=days)
    current = _window(session, since, now)
    previous = _window(session, since - timedelta(days=days), since)
    total = (
        session.scalar(select(func.count()).select_from(Item).where(Item.published_at >= since))
        or 0
    )
    seen = [c for c in countries] + sorted({c for c, *_ in current} - set(countries))
    lines = []
    for country in seen:
        mine = [r for r in current if r[0] == country]
        releases = [r for r in mine if r[1] in RELEASE_KINDS]
        if not mine and country not in countries:
            continue
        lines.append(
            CountryLine(
                country=country,
                releases=len(releases),
                previous=sum(1 for r in previous if r[0] == country and r[1] in RELEASE_KINDS),
                open_weights=sum(1 for r in releases if r[2] == "yes"),
                by_kind=dict(Counter(r[1] for r in mine).most_common()),
                top_orgs=Counter(r[3] for r in releases if r[3]).most_common(3),
            )
        )
    others = [line for line in lines if line.country not in countries]
    main = [line for line in lines if line.country in countries]
    if others:
        merged_kinds: Counter[str] = Counter()
        for line in others:
            merged_kinds.update(line.by_kind)
        before = sum(1 for r in previous if r[0] not in countries and r[1] in RELEASE_KINDS)
        main.append(
            CountryLine(
                "other",
                sum(x.releases for x in others),
                before,
                sum(x.open_weights for x in others),
                dict(merged_kinds),
                [],
            )
        )
    return Scoreboard(days, since, now, main, int(total))
