"""Stories: which earlier story a batch's new items belong to, under a lock.

An item joins an earlier story by canonical URL, by organisation and release key
(``deepseek`` + ``deepseek-v3.1``) within a week, or by a near-identical headline from
another source within two days, unless the story is about another organisation or
another release (:func:`bot.stories.assign.conflict`); otherwise it starts one. Nothing
here writes: ``items_repo.write_batch`` writes the batch's stories with its items.
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
from bot.store.locks import Lock
from bot.store.schema import Item, Story
from bot.stories.assign import StoryFacts, conflict, new_story_reason
from bot.stories.keys import ReleaseKey
from bot.stories.similar import least_shared, overlap_score, tokens

STORY_KEY_WINDOW = timedelta(days=7)
STORY_TEXT_WINDOW = timedelta(hours=48)
NEAR_DUPLICATE = 0.6


def lock_story_assignment(session: Session) -> None:
    """Serialise story assignment across processes and connections.

    Two sources ingesting the same release at once must not both start a story, so the lock
    is taken before the recent stories are read. PostgreSQL gets a transaction-scoped
    advisory lock; on SQLite a write that changes nothing takes the database's write lock
    (the driver opens the transaction just before it). Either is held for the few
    milliseconds of one source's ingest.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": int(Lock.STORIES)})
    else:
        session.execute(text("UPDATE stories SET id = id WHERE 0"))


@dataclass(eq=False)
class StoryRef:
    """A story as one ingest batch sees it: an existing row, or one this batch starts."""

    id: int | None  # None until a new story is written
    title: str
    release_key: str | None = None
    org: str | None = None  # root organisation
    added: int = 0  # items of this batch that joined it
    first: StoredItem | None = None  # set on a story this batch starts

    @property
    def new(self) -> bool:
        return self.first is not None

    @property
    def facts(self) -> StoryFacts:
        return StoryFacts(self.org, self.release_key)


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
        self.facts: dict[int, StoryFacts] = {}
        self.index: dict[str, set[int]] = {}  # headline token -> stories using it
        self.last_id = 0

    def refresh(self, session: Session, now: datetime) -> None:
        since = now - STORY_TEXT_WINDOW
        for story_id, title, created, org, key in session.execute(
            select(Story.id, Story.title, Story.created_at, Story.org, Story.release_key)
            .where(Story.id > self.last_id, Story.created_at >= since)
            .order_by(Story.id)
        ):
            self.last_id = max(self.last_id, story_id)
            self.tokens[story_id] = toks = tokens(title)
            self.created[story_id] = created
            self.facts[story_id] = StoryFacts(org, key)
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
        del self.facts[story_id]

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
    same organisation and release key within a week, or a near-identical headline from
    *another* source within two days (one source's two posts are two events); a story about
    another organisation or release is never joined. Otherwise the item starts a story.
    Every lookup is by index: the batch's URLs, the batch's release keys, and the recent
    headlines kept in :class:`RecentStories` (refreshed here, under the story lock).
    """

    def __init__(
        self,
        session: Session,
        source_id: int,
        now: datetime,
        items: Sequence[StoredItem],
        keys: Sequence[ReleaseKey | None],
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
        self.by_url: dict[str, list[StoryRef]] = {}
        for start in range(0, len(urls), 500):
            for url, story_id, org, key in session.execute(
                select(Item.canonical_url, Story.id, Story.org, Story.release_key)
                .join(Story, Story.id == Item.story_id)
                .where(Item.canonical_url.in_(urls[start : start + 500]))
                .order_by(Story.id)
            ):
                refs = self.by_url.setdefault(str(url), [])
                if all(r.id != story_id for r in refs):
                    refs.append(self._ref(story_id, org, key))
        wanted = sorted({release for k in keys if k for release in k.compatible})
        self.by_key: dict[tuple[str | None, str], StoryRef] = {}
        for start in range(0, len(wanted), 500):
            for key, org, story_id in session.execute(
                select(Story.release_key, Story.org, func.max(Story.id))
                .where(
                    Story.release_key.in_(wanted[start : start + 500]),
                    Story.updated_at >= now - STORY_KEY_WINDOW,
                )
                .group_by(Story.release_key, Story.org)
            ):
                self.by_key[(org, str(key))] = self._ref(int(story_id), org, key)
        recent.refresh(session, now)

    def _ref(self, story_id: int, org: str | None, key: str | None) -> StoryRef:
        if story_id not in self.refs:  # an older story: its title is not needed
            self.refs[story_id] = StoryRef(story_id, "", key, org)
        return self.refs[story_id]

    def _candidates(self, item: StoredItem, key: ReleaseKey | None) -> list[tuple[StoryRef, str]]:
        """Stories the item could join, best reason first."""
        found: list[tuple[StoryRef, str]] = []
        if key is not None:
            for release in key.compatible:
                if (ref := self.by_key.get((key.org, release))) is not None:
                    reason = f"same release {key.describe()} as story {ref.id or 'new'}"
                    found.append((ref, reason))
        for ref in self.by_url.get(item.canonical_url or "", []):
            found.append((ref, f"same article URL as an earlier item of story {ref.id or 'new'}"))
        if item.hub is None:
            for score, story_id in self.recent.near(item.title):
                if story_id not in self.own:
                    facts = self.recent.facts[story_id]
                    ref = self.refs.get(story_id) or self._ref(story_id, facts.org, facts.release)
                    found.append((ref, f"headline {score:.0%} similar to story {story_id}"))
        return found

    def assign(
        self,
        item: StoredItem,
        key: ReleaseKey | None,
        org: str | None = None,
        *,
        may_start: bool = True,
    ) -> tuple[StoryRef, bool, str]:
        """The item's story, whether this item starts it, and how that was decided.

        ``org`` is the root of the item's primary organisation. An item that is not the
        release itself (``may_start`` False: a quantisation, a mirror) joins the release's
        story but never starts one under the release key. Nothing is written here:
        :func:`write_batch` writes the whole batch."""
        mine = StoryFacts.of(org, key)
        refused: list[str] = []
        story: StoryRef | None = None
        how = ""
        for ref, reason in self._candidates(item, key):
            why_not = conflict(ref.facts, mine)
            if why_not is None:
                story, how = ref, reason
                break
            refused.append(f"story {ref.id} ({reason.split(' as ')[0]}): {why_not}")
        created = story is None
        if story is None:
            started = mine.release if may_start else None
            story = StoryRef(None, item.title, started, mine.org, first=item)
            how = new_story_reason(key, refused) + (
                "" if may_start else "; a derivative, so the story takes no release key"
            )
            key = key if may_start else None
        story.added += 1
        story.release_key = story.release_key or mine.release
        story.org = story.org or mine.org
        if key is not None:
            self.by_key.setdefault((key.org, key.release), story)
        if item.canonical_url:
            refs = self.by_url.setdefault(item.canonical_url, [])
            if story not in refs:
                refs.append(story)
        item.story, item.story_reason = story, how
        return story, created, how
