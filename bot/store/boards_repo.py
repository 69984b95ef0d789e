"""Leaderboard snapshots: written whole per arena and day (so importing twice changes
nothing), and each country's best per day kept beside them for the capability gap."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time

from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from bot.boards import BoardRow, BoardSnapshot
from bot.gap.capability import CN, US, Best, GapDay
from bot.store.schema import BoardBest, BoardEntry, Classification, Item, Story

Resolve = Callable[[BoardRow], tuple[str | None, str | None]]  # -> org id, country


@dataclass(frozen=True)
class Saved:
    """What a snapshot changed: the gap the day before it, and on its day."""

    arena: str
    day: date
    rows: int
    before: GapDay | None
    after: GapDay | None
    unchanged: bool  # the same rows were already stored for this arena and day


def _entry(
    snapshot: BoardSnapshot, row: BoardRow, org: str | None, country: str | None
) -> dict[str, object]:
    return {
        "arena": snapshot.arena,
        "day": snapshot.day,
        "model": row.model,
        "organization": row.organization,
        "org_id": org,
        "country": country,
        "score": row.score,
        "lower": row.lower,
        "upper": row.upper,
        "votes": row.votes,
        "rank": row.rank,
    }


def save_snapshot(session: Session, snapshot: BoardSnapshot, resolve: Resolve) -> Saved:
    """Store one arena's board of one day, replacing what was stored for that day."""
    entries = []
    best: dict[str, dict[str, object]] = {}
    for row in snapshot.rows:
        org, country = resolve(row)
        entries.append(_entry(snapshot, row, org, country))
        if country is None:
            continue
        held = best.get(country)
        if held is None or row.score > float(held["score"]):  # type: ignore[arg-type]
            best[country] = {
                "arena": snapshot.arena,
                "day": snapshot.day,
                "country": country,
                "model": row.model,
                "org_id": org,
                "score": row.score,
                "lower": row.lower,
                "upper": row.upper,
            }
    where = (BoardEntry.arena == snapshot.arena, BoardEntry.day == snapshot.day)
    stored = {
        (r.model, r.score, r.votes, r.country)
        for r in session.execute(
            select(BoardEntry.model, BoardEntry.score, BoardEntry.votes, BoardEntry.country).where(
                *where
            )
        )
    }
    unchanged = stored == {(e["model"], e["score"], e["votes"], e["country"]) for e in entries}
    before = gap_before(session, snapshot.arena, snapshot.day)
    if not unchanged:
        session.execute(delete(BoardEntry).where(*where))
        session.execute(
            delete(BoardBest).where(
                BoardBest.arena == snapshot.arena, BoardBest.day == snapshot.day
            )
        )
        if entries:
            session.execute(insert(BoardEntry), entries)
        if best:
            session.execute(insert(BoardBest), list(best.values()))
    after = _pair(
        {
            c: Best(snapshot.day, c, str(b["model"]), float(b["score"]), b["lower"], b["upper"])  # type: ignore[arg-type]
            for c, b in best.items()
        }
    )
    return Saved(snapshot.arena, snapshot.day, len(entries), before, after, unchanged)


def _pair(sides: dict[str, Best]) -> GapDay | None:
    if US in sides and CN in sides:
        return GapDay(sides[US].day, sides[US], sides[CN])
    return None


def _best(row: BoardBest) -> Best:
    return Best(row.day, row.country, row.model, row.score, row.lower, row.upper, row.org_id)


def gap_before(session: Session, arena: str, day: date) -> GapDay | None:
    """Both sides' best on the latest day before ``day`` when both had an entry."""
    last = session.execute(
        select(func.max(BoardBest.day))
        .where(BoardBest.arena == arena, BoardBest.day < day, BoardBest.country == CN)
        .where(
            BoardBest.day.in_(
                select(BoardBest.day).where(
                    BoardBest.arena == arena, BoardBest.day < day, BoardBest.country == US
                )
            )
        )
    ).scalar()
    if last is None:
        return None
    rows = session.scalars(
        select(BoardBest).where(
            BoardBest.arena == arena, BoardBest.day == last, BoardBest.country.in_((US, CN))
        )
    ).all()
    return _pair({r.country: _best(r) for r in rows})


def best_series(session: Session, arena: str, since: date | None = None) -> list[Best]:
    """Each day's best US and Chinese entries for one arena, oldest first."""
    query = select(BoardBest).where(BoardBest.arena == arena, BoardBest.country.in_((US, CN)))
    if since is not None:
        query = query.where(BoardBest.day >= since)
    return [_best(r) for r in session.scalars(query.order_by(BoardBest.day))]


@dataclass(frozen=True)
class ArenaSpan:
    arena: str
    first: date
    last: date
    days: int


def arenas(session: Session) -> list[ArenaSpan]:
    """The arenas with stored boards, and the days they cover."""
    rows = session.execute(
        select(
            BoardBest.arena,
            func.min(BoardBest.day),
            func.max(BoardBest.day),
            func.count(func.distinct(BoardBest.day)),
        ).group_by(BoardBest.arena)
    ).all()
    return [ArenaSpan(a, first, last, n) for a, first, last, n in sorted(rows)]


_POLICY_WORDS = (
    "export control",
    "export ban",
    "export rule",
    "entity list",
    "chip ban",
    "出口管制",
)


def policy_markers(session: Session, since: date, limit: int = 400) -> list[tuple[date, str]]:
    """Export-control news since ``since`` (the newest stories first), one marker a day."""
    start = datetime.combine(since, time.min, tzinfo=UTC)
    rows = session.execute(
        select(Item.published_at, Item.title)
        .join(Story, Story.first_item_id == Item.id)
        .join(Classification, Classification.item_id == Item.id)
        .where(Story.created_at >= start, Classification.kind == "policy")
        .order_by(Story.created_at.desc())
        .limit(limit)
    ).all()
    seen: dict[date, str] = {}
    for published, title in rows:
        lowered = title.lower()
        if any(word in lowered for word in _POLICY_WORDS):
            seen.setdefault(published.date(), title)
    return sorted(seen.items())
