"""Cadence and openness: monthly releases by country, the open-weights share, what the open
releases weigh (median parameters), what they are (modalities), who makes them, and how
many sources of each country racewatch polls, so a reader can tell a trend from a feed list.

A release is a story of a release kind started by its primary organisation; derivatives
(quantisations, re-uploads) never count. Monthly counts come from the monthly totals
(``release_months``); modalities and parameters from the monthly counts of the stories
started in the window (``release_modalities``, ``release_sizes``).
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.attribution.registry import Registry
from bot.sources import kinds
from bot.store.schema import ReleaseModality, ReleaseMonth, ReleaseSize, Source
from bot.store.stats import MAIN, RELEASE_KINDS

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
    r = ReleaseMonth
    releases: dict[date, dict[str, int]] = {m: {} for m in firsts}
    opened: dict[date, dict[str, int]] = {m: {} for m in firsts}
    orgs: dict[str, dict[str, int]] = {}
    for month, country, open_weights, org, n in session.execute(
        select(r.month, r.country, r.open_weights, r.org, func.sum(r.stories))
        .where(r.month >= firsts[0], r.kind.in_(RELEASE_KINDS), r.country.in_(MAIN))
        .group_by(r.month, r.country, r.open_weights, r.org)
    ):
        if month not in releases:
            continue
        releases[month][country] = releases[month].get(country, 0) + int(n)
        if open_weights == "yes":
            opened[month][country] = opened[month].get(country, 0) + int(n)
        if org:
            orgs.setdefault(country, {})[org] = orgs.setdefault(country, {}).get(org, 0) + int(n)
    months = tuple(Month(m, releases[m], opened[m]) for m in firsts)
    modalities, params = _facets(session, firsts[0])
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


def _facets(
    session: Session, since: date
) -> tuple[dict[str, dict[str, int]], dict[str, list[float]]]:
    """Modalities of every release, and the sizes of the open ones, per main country, for
    the stories started since the first day of the month ``since``: read from the monthly
    counts ingest keeps (``release_modalities``, ``release_sizes``), a few dozen rows."""
    modalities: dict[str, dict[str, int]] = {m: {} for m in MAIN}
    params: dict[str, list[float]] = {m: [] for m in MAIN}
    m, z = ReleaseModality, ReleaseSize
    for country, group, n in session.execute(
        select(m.country, m.modality, func.sum(m.stories))
        .where(m.month >= since)
        .group_by(m.country, m.modality)
    ):
        if country in modalities:
            modalities[country][group] = int(n)
    for country, size, n in session.execute(
        select(z.country, z.params, func.sum(z.stories))
        .where(z.month >= since)
        .group_by(z.country, z.params)
    ):
        if country in params:
            params[country] += [float(size)] * int(n)
    return modalities, params


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
