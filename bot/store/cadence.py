"""Cadence and openness: monthly releases by country, the open-weights share, what the open
releases weigh (median parameters), what they are (modalities), who makes them, and how
many sources of each country racewatch polls, so a reader can tell a trend from a feed list.

A release is a story of a release kind started by its primary organisation; derivatives
(quantisations, re-uploads) never count. Monthly counts come from the daily totals
(``release_days``); modalities and parameters from the stories of the window.
"""

from __future__ import annotations

import statistics
import threading
import weakref
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time

from pydantic import ValidationError
from sqlalchemy import Engine, and_, func, select
from sqlalchemy.orm import Session

from bot.attribution.registry import Registry
from bot.sources import kinds
from bot.store.schema import Classification, Item, ReleaseDay, Source, Story
from bot.store.stats import MAIN, RELEASE_KINDS

MODALITY_GROUPS = {
    "text": "text",
    "code": "code",
    "vision": "image",
    "image_gen": "image",
    "multimodal": "image",
    "video_gen": "video",
    "audio": "audio",
    "agents": "agents",
    "robotics": "agents",
}
GROUP_ORDER = ("text", "image", "video", "audio", "code", "agents")


@dataclass(frozen=True)
class Month:
    first: date
    releases: dict[str, int]
    open_weights: dict[str, int]

    def open_share(self, country: str) -> float | None:
        n = self.releases.get(country, 0)
        return self.open_weights.get(country, 0) / n if n else None


@dataclass(frozen=True)
class Cadence:
    months: tuple[Month, ...]  # the last 12 calendar months, oldest first; the last is partial
    modalities: dict[str, dict[str, int]] = field(default_factory=dict)
    median_params: dict[str, float | None] = field(default_factory=dict)  # open releases, B
    sized: dict[str, int] = field(default_factory=dict)  # open releases with a known size
    top_orgs: dict[str, list[tuple[str, int]]] = field(default_factory=dict)
    coverage: dict[str, int] = field(default_factory=dict)  # sources polled per country

    def total(self, country: str) -> int:
        return sum(m.releases.get(country, 0) for m in self.months)

    def open_total(self, country: str) -> int:
        return sum(m.open_weights.get(country, 0) for m in self.months)


def month_starts(today: date, count: int = 12) -> list[date]:
    year, month = today.year, today.month
    firsts = []
    for _ in range(count):
        firsts.append(date(year, month, 1))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return firsts[::-1]


def cadence(session: Session, now: datetime, registry: Registry) -> Cadence:
    today = now.astimezone(UTC).date()
    firsts = month_starts(today)
    r = ReleaseDay
    releases: dict[date, dict[str, int]] = {m: {} for m in firsts}
    opened: dict[date, dict[str, int]] = {m: {} for m in firsts}
    orgs: dict[str, dict[str, int]] = {}
    for day, country, open_weights, org, n in session.execute(
        select(r.day, r.country, r.open_weights, r.org, func.sum(r.stories))
        .where(r.day >= firsts[0], r.kind.in_(RELEASE_KINDS), r.country.in_(MAIN))
        .group_by(r.day, r.country, r.open_weights, r.org)
    ):
        month = date(day.year, day.month, 1)
        if month not in releases:
            continue
        releases[month][country] = releases[month].get(country, 0) + int(n)
        if open_weights == "yes":
            opened[month][country] = opened[month].get(country, 0) + int(n)
        if org:
            orgs.setdefault(country, {})[org] = orgs.setdefault(country, {}).get(org, 0) + int(n)
    months = tuple(Month(m, releases[m], opened[m]) for m in firsts)
    modalities, params = _facets(session, datetime.combine(firsts[0], time(), UTC))
    return Cadence(
        months=months,
        modalities=modalities,
        median_params={c: statistics.median(v) if v else None for c, v in params.items()},
        sized={c: len(v) for c, v in params.items()},
        top_orgs={
            c: sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:5]
            for c, counts in orgs.items()
        },
        coverage=coverage(session, registry),
    )


@dataclass
class _Facets:
    """Modalities and open sizes of the release stories seen so far, kept between calls."""

    modalities: dict[str, dict[str, int]]
    params: dict[str, list[float]]
    seen: set[int] = field(default_factory=set)  # story ids already counted
    last: int = 0  # the highest of them


# per database and window start: /race gap reads only the stories added since its last call
_HELD: weakref.WeakKeyDictionary[Engine, dict[datetime, _Facets]] = weakref.WeakKeyDictionary()
_LOCK = threading.Lock()
_OVERLAP = 1000  # ids below the highest seen that may still commit (concurrent transactions)


def _facets(
    session: Session, since: datetime
) -> tuple[dict[str, dict[str, int]], dict[str, list[float]]]:
    """Modalities of every release, and the sizes of the open ones, per main country.

    Reading every release story of a year took seconds at 100,000 items, so the figures are
    kept per database and window start, and each call reads only the stories after the last
    one it saw (with an overlap, skipping those already counted, for ids that commit late)."""
    bind = session.get_bind()
    engine = bind if isinstance(bind, Engine) else bind.engine
    with _LOCK:
        per_start = _HELD.setdefault(engine, {})
        held = per_start.get(since)
        if held is None:
            per_start.clear()  # a new window start: the month turned
            held = per_start[since] = _Facets({m: {} for m in MAIN}, {m: [] for m in MAIN})
        c = Classification
        rows = session.execute(
            select(Story.id, c.primary_country, c.modalities, c.open_weights, c.params)
            .select_from(Story)
            .join(Item, and_(Item.id == Story.first_item_id))
            .join(c, c.item_id == Item.id)
            .where(
                Story.id > held.last - _OVERLAP,
                Story.created_at >= since,
                c.primary_country.in_(MAIN),
                c.kind.in_(RELEASE_KINDS),
                c.derivative_of.is_(None),
            )
        )
        for story_id, country, kinds, open_weights, size in rows:
            if story_id in held.seen:
                continue
            held.seen.add(story_id)
            held.last = max(held.last, story_id)
            groups = {MODALITY_GROUPS.get(k, "text") for k in (kinds or ["text"])}
            for group in groups:
                held.modalities[country][group] = held.modalities[country].get(group, 0) + 1
            if open_weights == "yes" and size:
                held.params[country].append(float(size) / 1e9)  # stored as a count; shown in B
        return (
            {country: dict(groups) for country, groups in held.modalities.items()},
            {country: list(sizes) for country, sizes in held.params.items()},
        )


def coverage(session: Session, registry: Registry) -> dict[str, int]:
    """How many enabled sources racewatch polls per country: a hub or GitHub source counts
    for its organisation's country, a feed for its site's, when the registry knows it."""
    counts: dict[str, int] = {}
    for kind, url, spec in session.execute(select(Source.type, Source.url, Source.spec)):
        country = _source_country(kind, url, spec or {}, registry)
        counts[country] = counts.get(country, 0) + 1
    return counts


def _source_country(kind: str, url: str, spec: dict[str, object], registry: Registry) -> str:
    try:
        source = kinds.spec_of(kind, dict(spec))
    except (KeyError, ValidationError):  # a row another version wrote: whose it is is unknown
        return "unknown"
    if source.country is not None:  # the catalogue says whose voice a source is
        return source.country if source.country in MAIN else "other"
    found = kinds.kind_of(kind)
    if found.global_scope:
        return "global"
    org = found.organisation(source, url, registry)
    if org is None:
        return "unknown"
    country = registry.root(org).country
    return country if country in MAIN else "other"
