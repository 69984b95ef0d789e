"""Items, classifications, stories, rule matches and outbox rows: the ingest transaction."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import CursorResult, FromClause, func, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from bot.attribution.classify import Classification
from bot.items import NewItem
from bot.store.schema import Classification as ClassRow
from bot.store.schema import Delivery, Item, RuleMatch, Story
from bot.stories.canonical import canonical_url
from bot.stories.keys import similarity, tokens

STORY_KEY_WINDOW = timedelta(days=7)
STORY_TEXT_WINDOW = timedelta(hours=48)
NEAR_DUPLICATE = 0.6


def insert_ignore(session: Session, table: FromClause, rows: list[dict[str, Any]]) -> int:
    """INSERT ... ON CONFLICT DO NOTHING on SQLite and PostgreSQL; returns rows inserted."""
    if not rows:
        return 0
    dialect = session.get_bind().dialect.name
    module: Any = postgresql if dialect == "postgresql" else sqlite
    result = session.execute(module.insert(table).on_conflict_do_nothing(), rows)
    return int(result.rowcount or 0) if isinstance(result, CursorResult) else 0


STORY_LOCK_KEY = 0x72616365  # "race": one advisory lock serialises story assignment


def lock_story_assignment(session: Session) -> None:
    """Serialise story assignment across processes and connections.

    Two sources ingesting the same release at once must not both start a story. SQLite
    already serialises writers; PostgreSQL gets a transaction-scoped advisory lock, held for
    the few milliseconds of one source's ingest.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": STORY_LOCK_KEY})


def insert_new_items(
    session: Session, source_id: int, items: Sequence[NewItem], now: datetime, baseline: bool
) -> list[Item]:
    """Store the items this source has not given us before; return just those."""
    if not items:
        return []
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
    rows = []
    for new in items:
        if new.guid in known:
            continue
        known.add(new.guid)
        rows.append(
            Item(
                source_id=source_id,
                guid=new.guid,
                url=new.url,
                canonical_url=canonical_url(new.url),
                title=new.title,
                summary=new.summary,
                published_at=new.published_at,
                fetched_at=now,
                authors=list(new.authors),
                language=new.language,
                tags=list(new.tags),
                hub=new.hub.as_dict() if new.hub else None,
                baseline=baseline,
            )
        )
    session.add_all(rows)
    session.flush()
    return rows


def save_classification(session: Session, item_id: int, cls: Classification) -> None:
    session.add(
        ClassRow(
            item_id=item_id,
            primary_country=cls.primary_country,
            countries=list(cls.countries),
            primary_org=cls.primary_org,
            orgs=list(cls.orgs),
            kind=cls.kind,
            modalities=list(cls.modalities),
            open_weights=cls.open_weights,
            licence=cls.licence,
            params=cls.params,
            confidence=cls.confidence,
            reasons=list(cls.reasons),
            derivative_of=cls.derivative_of,
        )
    )


class StoryAssigner:
    """Attaches a batch of new items to stories with a handful of queries, not several per item.

    An item joins an existing story when it has the same canonical URL as an earlier item, the
    same release key (``qwen3``) within a week, or a near-identical headline from *another*
    source within two days (one source's two posts are two events). Otherwise it starts one.
    Recent stories are read once per batch; their headline tokens are cached across batches.
    """

    def __init__(
        self,
        session: Session,
        source_id: int,
        now: datetime,
        items: Sequence[Item],
        token_cache: dict[int, frozenset[str]],
    ) -> None:
        self.session, self.now, self.cache = session, now, token_cache
        urls = [i.canonical_url for i in items if i.canonical_url]
        self.by_url: dict[str, Story | int] = {}
        for start in range(0, len(urls), 500):
            for url, story_id in session.execute(
                select(Item.canonical_url, Item.story_id).where(
                    Item.canonical_url.in_(urls[start : start + 500]), Item.story_id.is_not(None)
                )
            ):
                if url and story_id:
                    self.by_url.setdefault(url, story_id)
        self.by_key: dict[str, Story | int] = {
            str(key): int(story_id)
            for key, story_id in session.execute(
                select(Story.release_key, func.max(Story.id))
                .where(Story.release_key.is_not(None), Story.updated_at >= now - STORY_KEY_WINDOW)
                .group_by(Story.release_key)
            )
        }
        own = select(Item.story_id).where(
            Item.source_id == source_id,
            Item.story_id.is_not(None),
            Item.fetched_at >= now - STORY_TEXT_WINDOW,
        )
        self.index: dict[str, set[int]] = {}  # headline token -> stories using it
        self.tokens_of: dict[int, frozenset[str]] = {}
        # whole rows, so that joining one of them later needs no query of its own
        for story in session.scalars(
            select(Story)
            .where(Story.created_at >= now - STORY_TEXT_WINDOW, Story.id.not_in(own))
            .order_by(Story.id.desc())
            .limit(2000)
        ):
            if story.id not in self.cache:
                self.cache[story.id] = tokens(story.title)
            self._remember(story.id, self.cache[story.id])

    def _remember(self, story_id: int, toks: frozenset[str]) -> None:
        self.tokens_of[story_id] = toks
        for token in toks:
            self.index.setdefault(token, set()).add(story_id)

    def _near(self, item: Item) -> tuple[int, float] | None:
        mine = tokens(item.title)
        candidates: set[int] = set()
        for token in mine:
            candidates |= self.index.get(token, set())
        best = max(
            ((similarity(mine, self.tokens_of[sid]), sid) for sid in candidates), default=(0.0, 0)
        )
        return (best[1], best[0]) if best[0] >= NEAR_DUPLICATE else None

    def _story(self, ref: Story | int) -> Story | None:
        return ref if isinstance(ref, Story) else self.session.get(Story, ref)

    def assign(self, item: Item, release_key: str | None) -> tuple[Story, bool, str]:
        """The item's story, whether it is new, and how that was decided.

        New stories are not flushed here: the caller flushes once for the whole batch, and
        the items' ``story_id`` is filled in then through the relationship."""
        ref: Story | int | None = None
        how = "new story"
        if item.canonical_url and item.canonical_url in self.by_url:
            ref, how = self.by_url[item.canonical_url], "same article URL as an earlier item"
        elif release_key and release_key in self.by_key:
            ref, how = self.by_key[release_key], f"same release '{release_key}'"
        elif item.hub is None and (near := self._near(item)) is not None:
            ref, how = near[0], f"headline {near[1]:.0%} similar to story {near[0]}"
        story = self._story(ref) if ref is not None else None
        created = story is None
        if story is None:
            story = Story(
                release_key=release_key,
                title=item.title,
                first_item_id=item.id,
                item_count=0,
                created_at=self.now,
                updated_at=self.now,
            )
            self.session.add(story)
        story.item_count += 1
        story.updated_at = self.now
        if release_key and not story.release_key:
            story.release_key = release_key
        if release_key:
            self.by_key.setdefault(release_key, story)
        if item.canonical_url:
            self.by_url.setdefault(item.canonical_url, story)
        item.story, item.story_reason = story, how
        return story, created, how


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


def record_match(session: Session, item: Item, story: Story, rule: str, now: datetime) -> None:
    """The rule match itself, in the caller's transaction (once per item and rule)."""
    insert_ignore(
        session,
        RuleMatch.__table__,
        [{"item_id": item.id, "story_id": story.id, "rule_name": rule, "matched_at": now}],
    )


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


def queue_alert(
    session: Session,
    item: Item,
    story: Story,
    rule: str,
    destination: str,
    mentions: Sequence[str],
    now: datetime,
    how: Queued,
) -> bool:
    """The outbox row for a story's first alert to a destination; False if one exists.

    The unique key (story, destination, kind) makes a second item of the same story, or a
    second rule, a no-op, even across processes.
    """
    return bool(
        insert_ignore(
            session,
            Delivery.__table__,
            [
                {
                    "story_id": story.id,
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
            ],
        )
    )


UPDATE_COALESCE = timedelta(seconds=60)


def arm_update(session: Session, alert: Delivery, item: Item, now: datetime) -> bool:
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
            Delivery.__table__,
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
