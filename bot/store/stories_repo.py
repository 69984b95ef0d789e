"""Stories: which earlier story a batch's new items belong to, under a lock.

An item joins an earlier story by canonical URL, by release key (``qwen3``) within a week,
or by a near-identical headline from another source within two days; otherwise it starts
one. Nothing here writes: ``items_repo.write_batch`` writes the batch's stories with its
items.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import chain

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from bot.store.items_repo import StoredItem
from bot.store.schema import Item, Story
from bot.stories.keys import least_shared, overlap_score, tokens

STORY_KEY_WINDOW = timedelta(days=7)
STORY_TEXT_WINDOW = timedelta(hours=48)
NEAR_DUPLICATE = 0.6


STORY_LOCK_KEY = 0x72616365  # "race": one advisory lock serialises story assignment


def lock_story_assignment(session: Session) -> None:
    """Serialise story assignment across processes and connections.

    Two sources ingesting the same release at once must not both start a story, so the lock
    is taken before the recent stories are read. PostgreSQL gets a transaction-scoped
    advisory lock; on SQLite a write that changes nothing takes the database's write lock
    (the driver opens the transaction just before it). Either is held for the few
    milliseconds of one source's ingest.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": STORY_LOCK_KEY})
    else:
        session.execute(text("UPDATE stories SET id = id WHERE 0"))


@dataclass(eq=False)
class StoryRef:
    """A story as one ingest batch sees it: an existing row, or one this batch starts."""

    id: int | None  # None until a new story is written
    title: str
    release_key: str | None = None
    added: int = 0  # items of this batch that joined it
    first: StoredItem | None = None  # set on a story this batch starts

    @property
    def new(self) -> bool:
        return self.first is not None


class RecentStories:
    """Headline tokens of the last two days' stories, kept from one batch to the next.

    Each batch reads only the stories written since the one before: story ids only grow
    while the story lock is held, and the lock is held from before this read until commit.
    What this index holds was committed, so a rolled-back batch leaves nothing behind.
    """

    def __init__(self, limit: int = 5000) -> None:
        self.limit = limit
        self.tokens: dict[int, frozenset[str]] = {}  # in id order, oldest first
        self.created: dict[int, datetime] = {}
        self.index: dict[str, set[int]] = {}  # headline token -> stories using it
        self.last_id = 0

    def refresh(self, session: Session, now: datetime) -> None:
        since = now - STORY_TEXT_WINDOW
        for story_id, title, created in session.execute(
            select(Story.id, Story.title, Story.created_at)
            .where(Story.id > self.last_id, Story.created_at >= since)
            .order_by(Story.id)
        ):
            self.last_id = max(self.last_id, story_id)
            self.tokens[story_id] = toks = tokens(title)
            self.created[story_id] = created
            for token in toks:
                self.index.setdefault(token, set()).add(story_id)
        while self.tokens and (
            len(self.tokens) > self.limit or self.created[next(iter(self.tokens))] < since
        ):
            self._forget(next(iter(self.tokens)))

    def _forget(self, story_id: int) -> None:
        for token in self.tokens.pop(story_id):
            users = self.index[token]
            users.discard(story_id)
            if not users:
                del self.index[token]
        del self.created[story_id]

    def near(self, title: str) -> list[tuple[float, int]]:
        """Stories whose headlines are near-identical to ``title``, most similar first."""
        mine = tokens(title)
        size = len(mine)
        if not size:
            return []
        shared = Counter(chain.from_iterable(self.index.get(token, ()) for token in mine))
        need = least_shared(size, NEAR_DUPLICATE)
        found = [
            (score, story_id)
            for story_id, n in shared.items()
            if n >= need
            and (score := overlap_score(n, size, len(self.tokens[story_id]))) >= NEAR_DUPLICATE
        ]
        return sorted(found, reverse=True)


class StoryAssigner:
    """Attaches a batch of new items to stories with a handful of queries, not several per item.

    An item joins an existing story when it has the same canonical URL as an earlier item, the
    same release key (``qwen3``) within a week, or a near-identical headline from *another*
    source within two days (one source's two posts are two events). Otherwise it starts one.
    Every lookup is by index: the batch's URLs, the batch's release keys, and the recent
    headlines kept in :class:`RecentStories` (refreshed here, under the story lock).
    """

    def __init__(
        self,
        session: Session,
        source_id: int,
        now: datetime,
        items: Sequence[StoredItem],
        keys: Sequence[str | None],
        recent: RecentStories,
    ) -> None:
        self.session, self.source_id, self.now, self.recent = session, source_id, now, recent
        self.refs: dict[int, StoryRef] = {}  # existing stories this batch joins
        self.own = set(  # stories this source had an item in, in the last two days
            session.scalars(
                select(Item.story_id).where(
                    Item.source_id == source_id,
                    Item.fetched_at >= now - STORY_TEXT_WINDOW,
                    Item.story_id.is_not(None),
                )
            )
        )
        urls = [i.canonical_url for i in items if i.canonical_url]
        self.by_url: dict[str, StoryRef | int] = {}
        for start in range(0, len(urls), 500):
            for url, story_id in session.execute(
                select(Item.canonical_url, Item.story_id).where(
                    Item.canonical_url.in_(urls[start : start + 500]), Item.story_id.is_not(None)
                )
            ):
                if url and story_id:
                    self.by_url.setdefault(url, story_id)
        wanted = sorted({k for k in keys if k})
        self.by_key: dict[str, StoryRef | int] = {}
        for start in range(0, len(wanted), 500):
            self.by_key.update(
                (str(key), int(story_id))
                for key, story_id in session.execute(
                    select(Story.release_key, func.max(Story.id))
                    .where(
                        Story.release_key.in_(wanted[start : start + 500]),
                        Story.updated_at >= now - STORY_KEY_WINDOW,
                    )
                    .group_by(Story.release_key)
                )
            )
        recent.refresh(session, now)

    def _near(self, item: StoredItem) -> tuple[int, float] | None:
        for score, story_id in self.recent.near(item.title):
            if story_id not in self.own:
                return story_id, score
        return None

    def _ref(self, ref: StoryRef | int) -> StoryRef:
        if isinstance(ref, StoryRef):
            return ref
        if ref not in self.refs:  # an older story: its key and title are not needed
            self.refs[ref] = StoryRef(ref, "")
        return self.refs[ref]

    def assign(self, item: StoredItem, release_key: str | None) -> tuple[StoryRef, bool, str]:
        """The item's story, whether this item starts it, and how that was decided.

        Nothing is written here: :func:`write_batch` writes the whole batch."""
        ref: StoryRef | int | None = None
        how = "new story"
        if item.canonical_url and item.canonical_url in self.by_url:
            ref, how = self.by_url[item.canonical_url], "same article URL as an earlier item"
        elif release_key and release_key in self.by_key:
            ref, how = self.by_key[release_key], f"same release '{release_key}'"
        elif item.hub is None and (near := self._near(item)) is not None:
            ref, how = near[0], f"headline {near[1]:.0%} similar to story {near[0]}"
        story = self._ref(ref) if ref is not None else None
        created = story is None
        if story is None:
            story = StoryRef(None, item.title, release_key, first=item)
        story.added += 1
        if release_key and not story.release_key:
            story.release_key = release_key
        if release_key:
            self.by_key.setdefault(release_key, story)
        if item.canonical_url:
            self.by_url.setdefault(item.canonical_url, story)
        item.story, item.story_reason = story, how
        return story, created, how
