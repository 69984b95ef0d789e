"""The gap scoreboard: releases by country and kind over a window, against the window before.

Counted in SQL, by story (ten outlets covering Qwen3 are one release), so it stays fast on a
large store; re-uploads of someone else's model (derivatives) are not releases.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Protocol

from sqlalchemy import Connection, Date, and_, cast, delete, func, insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from bot.attribution.classify import Classification as Classified
from bot.store.schema import (
    Classification,
    Item,
    ItemDay,
    ReleaseDay,
    ReleaseModality,
    ReleaseMonth,
    ReleaseSize,
    Source,
    Story,
)

# a release is a model or a product; code, datasets and tools (open_source), papers, money
# and policy are stories too, shown beside the releases but never counted as them
RELEASE_KINDS = ("model_release", "product_launch")
_KIND_WORDS = {
    "model_release": ("model release", "model releases"),
    "product_launch": ("product launch", "product launches"),
    "open_source": ("open-source code or data story", "open-source code or data stories"),
    "research": ("research story", "research stories"),
    "business": ("business story", "business stories"),
    "policy": ("policy story", "policy stories"),
    "benchmark": ("benchmark story", "benchmark stories"),
    "other": ("other story", "other stories"),
}


def counted(n: int, kind: str) -> str:
    """``1 model release``, ``3 business stories``."""
    one, many = _KIND_WORDS.get(kind, (kind, kind))
    return f"{n} {one if n == 1 else many}"


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

    def breakdown(self) -> str:
        """The releases split by kind, adding up to ``releases``, every number labelled;
        then the stories of other kinds, which are not releases."""
        parts = [counted(self.by_kind.get(k, 0), k) for k in RELEASE_KINDS]
        text = f"{self.releases} releases = {' + '.join(parts)}"
        if self.releases:
            text += (
                f"; {self.open_weights} with open weights "
                f"({self.open_share:.0%} open-weights share)"
            )
        others = [counted(n, k) for k, n in self.by_kind.items() if k not in RELEASE_KINDS]
        if others:
            text += f"; not releases: {', '.join(others)}"
        return text


@dataclass(frozen=True)
class Scoreboard:
    days: int
    since: datetime
    until: datetime
    lines: list[CountryLine]
    total_items: int
    best_rank: dict[str, tuple[int, str]] = field(default_factory=dict)  # country -> (rank, model)

    @property
    def span(self) -> str:
        """The calendar days counted, as a reader wants them: "27 Oct – 25 Nov UTC"."""
        first, last = self.since, self.until
        return f"{first.day} {first:%b} – {last.day} {last:%b} UTC"


DAY = timedelta(days=1)
ReleaseKey = tuple[date, str, str, str, str]  # day, country, kind, open weights, organisation


def release_key(published_at: datetime, cls: Classified | Classification) -> ReleaseKey | None:
    """Where a new story counts in ``release_days``, or None when it does not count."""
    if cls.primary_country is None or cls.derivative_of is not None:
        return None
    day = published_at.astimezone(UTC).date()
    return (day, cls.primary_country, cls.kind, cls.open_weights, cls.primary_org or "")


def _first_of(day: date) -> date:
    return date(day.year, day.month, 1)


def _upsert(
    session: Session | Connection, model: Any, keys: list[str], rows: list[dict[str, Any]]
) -> None:
    """Add each row's last column to the stored row of the same ``keys`` (one statement)."""
    if not rows:
        return
    bind = session.get_bind() if isinstance(session, Session) else session
    module: Any = postgresql if bind.dialect.name == "postgresql" else sqlite
    table = model.__table__
    total = next(c for c in rows[0] if c not in keys)
    statement = module.insert(table)
    statement = statement.on_conflict_do_update(
        index_elements=keys,
        set_={total: table.c[total] + statement.excluded[total]},
    )
    session.execute(statement, rows)


def count_releases(session: Session, counts: dict[ReleaseKey, int]) -> None:
    """Add new stories to their days' and months' counts (an upsert per key and table)."""
    months: dict[ReleaseKey, int] = {}
    for (d, c, k, o, org), n in counts.items():
        key = (_first_of(d), c, k, o, org)
        months[key] = months.get(key, 0) + n
    for model, column, by in ((ReleaseDay, "day", counts), (ReleaseMonth, "month", months)):
        _upsert(
            session,
            model,
            [column, "country", "kind", "open_weights", "org"],
            [
                {column: d, "country": c, "kind": k, "open_weights": o, "org": org, "stories": n}
                for (d, c, k, o, org), n in by.items()
            ],
        )


def count_items(session: Session, published: Iterable[datetime]) -> None:
    """Add new items to their publication days' counts (``item_days``)."""
    days: dict[date, int] = {}
    for at in published:
        day = at.astimezone(UTC).date()
        days[day] = days.get(day, 0) + 1
    _upsert(session, ItemDay, ["day"], [{"day": d, "items": n} for d, n in days.items()])


def rebuild_rollups(connection: Connection | Session) -> None:
    """Recount ``release_months`` from ``release_days`` and ``item_days`` from the items
    (migrations and bulk loads, after :func:`rebuild_release_days`)."""
    months: dict[ReleaseKey, int] = {}
    r = ReleaseDay
    for d, c, k, o, org, n in connection.execute(
        select(r.day, r.country, r.kind, r.open_weights, r.org, r.stories)
    ):
        key = (_first_of(d), c, k, o, org)
        months[key] = months.get(key, 0) + int(n)
    connection.execute(delete(ReleaseMonth))
    connection.execute(delete(ItemDay))
    rows = [
        {"month": d, "country": c, "kind": k, "open_weights": o, "org": org, "stories": n}
        for (d, c, k, o, org), n in months.items()
    ]
    for start in range(0, len(rows), 5000):
        connection.execute(insert(ReleaseMonth), rows[start : start + 5000])
    day = _day_of(connection)
    connection.execute(
        insert(ItemDay).from_select(
            ["day", "items"], select(day, func.count()).select_from(Item).group_by(day)
        )
    )


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
Facets = tuple[dict[tuple[date, str, str], int], dict[tuple[date, str, float], int]]


class _Facted(Protocol):
    """What :func:`facets_of` reads of a classification."""

    @property
    def primary_country(self) -> str | None: ...
    @property
    def kind(self) -> str: ...
    @property
    def derivative_of(self) -> str | None: ...
    @property
    def modalities(self) -> Any: ...
    @property
    def open_weights(self) -> str: ...
    @property
    def params(self) -> float | None: ...


def facets_of(started: Iterable[tuple[datetime, _Facted]]) -> Facets:
    """What new stories add to ``release_modalities`` and ``release_sizes``: each pair is a
    story's start time and the classification of the item that started it. Only releases
    of the main countries count, never a derivative."""
    modalities: dict[tuple[date, str, str], int] = {}
    sizes: dict[tuple[date, str, float], int] = {}
    for created, cls in started:
        country = cls.primary_country
        if country not in MAIN or cls.kind not in RELEASE_KINDS or cls.derivative_of is not None:
            continue
        assert country is not None
        day = created.astimezone(UTC).date()
        month = date(day.year, day.month, 1)
        for group in {MODALITY_GROUPS.get(k, "text") for k in (cls.modalities or ["text"])}:
            modalities[(month, country, group)] = modalities.get((month, country, group), 0) + 1
        if cls.open_weights == "yes" and cls.params:
            size = float(cls.params) / 1e9  # stored as a count; shown in billions
            sizes[(month, country, size)] = sizes.get((month, country, size), 0) + 1
    return modalities, sizes


def count_facets(session: Session | Connection, facets: Facets) -> None:
    """Add new stories' modalities and open sizes to their months' counts (upserts)."""
    modalities, sizes = facets
    for model, column, counts in (
        (ReleaseModality, "modality", modalities),
        (ReleaseSize, "params", sizes),
    ):
        _upsert(
            session,
            model,
            ["month", "country", column],
            [
                {"month": m, "country": c, column: v, "stories": n}
                for (m, c, v), n in counts.items()
            ],
        )


def rebuild_facets(connection: Connection | Session) -> None:
    """Recount ``release_modalities`` and ``release_sizes`` from the stories stored."""
    c = Classification
    connection.execute(delete(ReleaseModality))
    connection.execute(delete(ReleaseSize))
    query = (
        select(
            Story.created_at,
            c.primary_country,
            c.kind,
            c.derivative_of,
            c.modalities,
            c.open_weights,
            c.params,
        )
        .select_from(Story)
        .join(Item, Item.id == Story.first_item_id)
        .join(c, c.item_id == Item.id)
        .where(c.primary_country.in_(MAIN), c.kind.in_(RELEASE_KINDS), c.derivative_of.is_(None))
    )
    facets = facets_of((at, _Facts(*rest)) for at, *rest in connection.execute(query))
    count_facets(connection, facets)


@dataclass(frozen=True)
class _Facts:
    """The columns :func:`facets_of` reads, as a row gives them."""

    primary_country: str | None
    kind: str
    derivative_of: str | None
    modalities: list[str] | None
    open_weights: str
    params: float | None


def _day_of(connection: Connection | Session) -> Any:
    bind = connection.get_bind() if isinstance(connection, Session) else connection
    if bind.dialect.name == "postgresql":
        return cast(func.timezone("UTC", Item.published_at), Date)
    return func.date(Item.published_at)  # SQLite keeps UTC as naive text


def _started_by(*columns: Any) -> Any:
    """Items that started their story, with their classification, countable in the gap."""
    return (
        select(*columns)
        .select_from(Item)
        .join(Classification, Classification.item_id == Item.id)
        .join(Story, and_(Story.id == Item.story_id, Story.first_item_id == Item.id))
        .where(Classification.primary_country.is_not(None), Classification.derivative_of.is_(None))
    )


def rebuild_release_days(connection: Connection | Session) -> None:
    """Recount ``release_days`` from the stories stored (migrations and bulk loads)."""
    day = _day_of(connection)
    org = func.coalesce(Classification.primary_org, "")
    c = Classification
    source = _started_by(
        day, c.primary_country, c.kind, c.open_weights, org, func.count()
    ).group_by(day, c.primary_country, c.kind, c.open_weights, org)
    connection.execute(delete(ReleaseDay))
    connection.execute(
        insert(ReleaseDay).from_select(
            ["day", "country", "kind", "open_weights", "org", "stories"], source
        )
    )


def _group(country: str | None) -> str:
    return country if country in MAIN else "other"


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(), UTC)


def _window_days(now: datetime, days: int) -> tuple[date, date]:
    """The ``days`` UTC calendar days that end with today (today so far included), as
    [first, end): counts stay put through the day instead of shifting hour by hour."""
    end = now.astimezone(UTC).date() + DAY
    return end - timedelta(days=days), end


def _grouped(
    session: Session, first: date, end: date
) -> list[tuple[str, str, str, str | None, int]]:
    """(country, kind, open weights, organisation, stories) for the days [first, end), in
    that order.

    Each story counts once, on the day of the item that started it and with that item's
    classification: ten outlets covering Qwen3 are one release. Whole calendar months are
    read from the monthly totals, the days before and after them from the daily totals, so
    the cost does not grow with the store or much with the window."""
    r, m = ReleaseDay, ReleaseMonth
    low = first if first.day == 1 else _next_month(first)  # the whole months: [low, high)
    high = _first_of(end)
    counts: dict[tuple[str, str, str, str], int] = {}
    days = select(r.country, r.kind, r.open_weights, r.org, func.sum(r.stories))
    if low < high:
        parts = [
            days.where(r.day >= first, r.day < low),
            days.where(r.day >= high, r.day < end),
            select(m.country, m.kind, m.open_weights, m.org, func.sum(m.stories)).where(
                m.month >= low, m.month < high
            ),
        ]
    else:
        parts = [days.where(r.day >= first, r.day < end)]
    for part in parts:
        group = part.group_by(*part.selected_columns[:4])
        for c, k, o, org, n in session.execute(group):
            counts[(c, k, o, org)] = counts.get((c, k, o, org), 0) + int(n)
    return [(c, k, o, org or None, n) for (c, k, o, org), n in sorted(counts.items())]


def _next_month(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def scoreboard(session: Session, now: datetime, days: int) -> Scoreboard:
    """The last ``days`` calendar days (UTC, today included) against the ``days`` before:
    two small grouped queries on the daily totals; the rest is arithmetic."""
    first, end = _window_days(now, days)
    since = _midnight(first)
    current = _grouped(session, first, end)
    before = _grouped(session, first - timedelta(days=days), first)
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
    total = session.scalar(select(func.sum(ItemDay.items)).where(ItemDay.day >= first)) or 0
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
    """Releases per week per main country, oldest week first (for the chart): the last
    ``weeks`` runs of seven calendar days, the newest ending today."""
    weeks = max(2, days // 7)
    _first, end = _window_days(now, 7 * weeks)
    firsts = [end - timedelta(days=7 * (weeks - i)) for i in range(weeks)]
    series: dict[str, list[int]] = {c: [0] * weeks for c in MAIN}
    r = ReleaseDay
    rows = session.execute(
        select(r.day, r.country, func.sum(r.stories))
        .where(r.day >= firsts[0], r.day < end, r.kind.in_(RELEASE_KINDS), r.country.in_(MAIN))
        .group_by(r.day, r.country)
    )
    for day, country, n in rows:
        series[country][(day - firsts[0]).days // 7] += int(n)
    return [_midnight(d) for d in firsts], series
