"""Items, classifications, rule matches and outbox rows: the writes of the ingest transaction.

The hot path writes with Core ``executemany`` statements (one per table and source batch,
ids read back with ``RETURNING``); the ORM is kept for the rare paths and for reading.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import Table, bindparam, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from bot.attribution.classify import Classification
from bot.items import NewItem
from bot.store import stats
from bot.store.schema import Classification as ClassRow
from bot.store.schema import Delivery, Item, RuleMatch, Story
from bot.stories.canonical import canonical_url
from bot.text import cjk_index_text

if TYPE_CHECKING:
    from bot.store.stories_repo import StoryRef


def insert_ignore(session: Session, table: Table, rows: list[dict[str, Any]]) -> int:
    """INSERT ... ON CONFLICT DO NOTHING on SQLite and PostgreSQL; returns rows inserted.

    The count comes from ``RETURNING``, which is exact for many rows on both databases
    (an executemany's rowcount is not)."""
    if not rows:
        return 0
    dialect = session.get_bind().dialect.name
    module: Any = postgresql if dialect == "postgresql" else sqlite
    key = next(iter(table.primary_key.columns))
    statement = module.insert(table).on_conflict_do_nothing().returning(key)
    return len(session.execute(statement, rows).all())


@dataclass(eq=False)
class StoredItem:
    """An item this source has not given us before, on its way into the store.

    ``id`` is filled in when :func:`write_batch` writes it."""

    source_id: int
    new: NewItem
    canonical_url: str | None
    hub: dict[str, Any] | None
    id: int = 0
    story: StoryRef | None = None
    story_reason: str | None = None
    # the fields rules and attribution read, named as on the stored row
    title: str = field(init=False)
    summary: str = field(init=False)
    url: str | None = field(init=False)
    language: str | None = field(init=False)
    published_at: datetime = field(init=False)

    def __post_init__(self) -> None:
        n = self.new
        self.title, self.summary, self.url = n.title, n.summary, n.url
        self.language, self.published_at = n.language, n.published_at

    @property
    def story_id(self) -> int:
        assert self.story is not None and self.story.id is not None, "story not written yet"
        return self.story.id


def unseen_items(session: Session, source_id: int, items: Sequence[NewItem]) -> list[StoredItem]:
    """The items this source has not given us before (each guid once), not yet written."""
    guids = [i.guid for i in items]
    known: set[str] = set()
    for start in range(0, len(guids), 500):
        known |= set(
            session.scalars(
                select(Item.guid).where(
                    Item.source_id == source_id, Item.guid.in_(guids[start : start + 500])
                )
            )
        )
    out = []
    for new in items:
        if new.guid in known:
            continue
        known.add(new.guid)
        hub = new.hub.as_dict() if new.hub else None
        out.append(StoredItem(source_id, new, canonical_url(new.url), hub))
    return out


def recent_guids(session: Session, source_id: int, limit: int) -> frozenset[str]:
    """The guids of a source's ``limit`` most recently fetched items: what a feed had at
    its last polls, as the store remembers it (a process that just started has no memory)."""
    rows = session.scalars(
        select(Item.guid)
        .where(Item.source_id == source_id)
        .order_by(Item.fetched_at.desc())
        .limit(limit)
    )
    return frozenset(rows)


def write_batch(
    session: Session,
    items: Sequence[StoredItem],
    classifications: Sequence[Classification],
    now: datetime,
    baseline: bool,
    backfilled: frozenset[str] = frozenset(),
) -> None:
    """Write a batch's new stories, its items (with their stories) and their classifications:
    one statement per table, plus one to bring the stories it joined up to date. Items of a
    baseline are marked so, except the ``backfilled`` guids (judged by the rules as new)."""
    stories = list({id(i.story): i.story for i in items if i.story is not None}.values())
    started = [s for s in stories if s.new]
    if started:
        ids = _insert_returning_ids(
            session,
            _table(Story),
            [
                {
                    "release_key": s.release_key,
                    "org": s.org,
                    "title": s.title,
                    "first_item_id": None,
                    "item_count": s.added,
                    "created_at": now,
                    "updated_at": now,
                }
                for s in started
            ],
            ("title", "release_key", "item_count"),
        )
        for story, story_id in zip(started, ids, strict=True):
            story.id = story_id
    joined = [s for s in stories if not s.new]
    if joined:
        table = _table(Story)
        session.execute(
            update(table)
            .where(table.c.id == bindparam("b_id"))
            .values(
                item_count=table.c.item_count + bindparam("b_added"),
                updated_at=bindparam("b_now", type_=table.c.updated_at.type),
                release_key=func.coalesce(table.c.release_key, bindparam("b_key")),
                org=func.coalesce(table.c.org, bindparam("b_org")),
            ),
            [
                {
                    "b_id": s.id,
                    "b_added": s.added,
                    "b_now": now,
                    "b_key": s.release_key,
                    "b_org": s.org,
                }
                for s in joined
            ],
        )
    item_ids = _insert_returning_ids(
        session,
        _table(Item),
        [
            {
                "source_id": i.source_id,
                "guid": i.new.guid,
                "url": i.url,
                "canonical_url": i.canonical_url,
                "title": i.title,
                "summary": i.summary,
                "search_cjk": cjk_index_text(i.title, i.summary),
                "published_at": i.published_at,
                "fetched_at": now,
                "authors": list(i.new.authors),
                "language": i.language,
                "tags": list(i.new.tags),
                "hub": i.hub,
                "baseline": baseline and i.new.guid not in backfilled,
                "story_id": i.story.id if i.story else None,
                "story_reason": i.story_reason,
            }
            for i in items
        ],
        ("guid",),
    )
    for item, item_id in zip(items, item_ids, strict=True):
        item.id = item_id
    if started:
        table = _table(Story)
        session.execute(
            update(table)
            .where(table.c.id == bindparam("b_id"))
            .values(first_item_id=bindparam("b_first")),
            [{"b_id": s.id, "b_first": s.first.id if s.first else None} for s in started],
        )
    session.execute(
        insert(_table(ClassRow)),
        [
            {
                "item_id": item.id,
                "published_at": item.published_at,  # for the /race latest indexes
                "primary_country": cls.primary_country,
                "countries": list(cls.countries),
                "primary_org": cls.primary_org,
                "orgs": list(cls.orgs),
                "kind": cls.kind,
                "modalities": list(cls.modalities),
                "open_weights": cls.open_weights,
                "licence": cls.licence,
                "params": cls.params,
                "confidence": cls.confidence,
                "reasons": list(cls.reasons),
                "derivative_of": cls.derivative_of,
                "derivative": cls.derivative,
                "base_model": cls.base_model,
                "uploader": cls.uploader,
            }
            for item, cls in zip(items, classifications, strict=True)
        ],
    )
    started_by: dict[stats.ReleaseKey, int] = {}  # the gap's daily counts, kept in step
    for item, cls in zip(items, classifications, strict=True):
        opened = item.story is not None and item.story.first is item
        key = stats.release_key(item.published_at, cls) if opened else None
        if key is not None:
            started_by[key] = started_by.get(key, 0) + 1
    stats.count_releases(session, started_by)
    stats.count_items(session, [item.published_at for item in items])
    stats.count_facets(  # the gap's monthly modalities and sizes, kept in step too
        session,
        stats.facets_of(
            (now, cls)
            for item, cls in zip(items, classifications, strict=True)
            if item.story is not None and item.story.first is item
        ),
    )


def _insert_returning_ids(
    session: Session, table: Table, rows: list[dict[str, Any]], key: tuple[str, ...]
) -> list[int]:
    """Insert many rows in batched statements and return their ids in the rows' order.

    ``RETURNING`` rows come back in no promised order, and asking SQLAlchemy to sort them
    makes SQLite insert one row per statement; so the rows are matched up by ``key``
    columns instead. Rows equal on ``key`` are interchangeable to the caller."""
    columns = [table.c[name] for name in key]
    returned: dict[tuple[Any, ...], list[int]] = {}
    for row in session.execute(insert(table).returning(table.c.id, *columns), rows):
        returned.setdefault(tuple(row[1:]), []).append(row[0])
    return [returned[tuple(r[name] for name in key)].pop() for r in rows]


def _table(model: type[Any]) -> Table:
    table = model.__table__
    assert isinstance(table, Table)
    return table


def alerts_for(session: Session, story_ids: Sequence[int]) -> dict[tuple[int, str], Delivery]:
    """The alert rows of many stories at once, by (story, destination)."""
    out: dict[tuple[int, str], Delivery] = {}
    ids = list(story_ids)
    for start in range(0, len(ids), 500):
        for row in session.scalars(
            select(Delivery).where(
                Delivery.story_id.in_(ids[start : start + 500]), Delivery.kind == "alert"
            )
        ):
            out[(row.story_id, row.destination)] = row
    return out


def record_matches(session: Session, rows: list[dict[str, Any]]) -> None:
    """Rule matches (item_id, story_id, rule_name, matched_at), once per item and rule."""
    insert_ignore(session, _table(RuleMatch), rows)


@dataclass(frozen=True)
class Queued:
    """How one alert is queued: now, later (quiet hours), or held for a digest."""

    status: str  # pending | held
    next_attempt_at: datetime
    priority: int
    digest_rule: str | None = None


def count_recent_alerts(session: Session, rule: str, destination: str, since: datetime) -> int:
    """Alerts this rule sent (or will send) to a destination since ``since``, for caps."""
    return (
        session.scalar(
            select(func.count())
            .select_from(Delivery)
            .where(
                Delivery.rule_name == rule,
                Delivery.destination == destination,
                Delivery.kind == "alert",
                Delivery.status != "held",
                Delivery.created_at >= since,
            )
        )
        or 0
    )


def alert_row(
    item: StoredItem,
    rule: str,
    destination: str,
    mentions: Sequence[str],
    now: datetime,
    how: Queued,
) -> dict[str, Any]:
    """The outbox row for a story's first alert to a destination."""
    return {
        "story_id": item.story_id,
        "item_id": item.id,
        "destination": destination,
        "rule_name": rule,
        "mentions": list(mentions),
        "kind": "alert",
        "status": how.status,
        "priority": how.priority,
        "digest_rule": how.digest_rule,
        "attempts": 0,
        "next_attempt_at": how.next_attempt_at,
        "created_at": now,
    }


def queue_alerts(session: Session, rows: list[dict[str, Any]]) -> int:
    """Write outbox rows from :func:`alert_row`; returns how many were new.

    The unique key (story, destination, kind) makes a second item of the same story, or a
    second rule, a no-op, even across processes.
    """
    return insert_ignore(session, _table(Delivery), rows)


UPDATE_COALESCE = timedelta(seconds=60)


def arm_update(session: Session, alert: Delivery, item: StoredItem, now: datetime) -> bool:
    """Later coverage of an alerted story: (re-)arm its single update row.

    Only once the alert itself went out (a pending alert will credit the coverage itself),
    and only for coverage from another source. Updates wait a minute so a burst of coverage
    becomes one "also reported by" reply.
    """
    if alert.status != "sent" or alert.item_id == item.id:
        return False
    first = session.get(Item, alert.item_id)
    if first is not None and first.source_id == item.source_id:
        return False
    update = session.scalar(
        select(Delivery).where(
            Delivery.story_id == alert.story_id,
            Delivery.destination == alert.destination,
            Delivery.kind == "update",
        )
    )
    due = now + UPDATE_COALESCE
    if update is None:
        insert_ignore(
            session,
            _table(Delivery),
            [
                {
                    "story_id": alert.story_id,
                    "item_id": item.id,
                    "destination": alert.destination,
                    "rule_name": alert.rule_name,
                    "mentions": [],
                    "kind": "update",
                    "status": "pending",
                    "priority": alert.priority,
                    "attempts": 0,
                    "next_attempt_at": due,
                    "created_at": now,
                }
            ],
        )
        return True
    if update.status != "pending":
        update.status, update.attempts, update.next_attempt_at = "pending", 0, due
        update.item_id = item.id
        return True
    return False
