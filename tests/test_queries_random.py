"""/race latest's index walks against reading every item, on a random store (both stores)."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from bot.store.db import open_store
from bot.store.queries import Row, latest
from bot.store.schema import Classification, Item, Source, Story
from tests.test_pipeline import database_url  # noqa: F401  (both stores, as the pipeline)

ORGS = ["deepseek", "qwen", "alibaba", "openai", "mistral", "zhipu", None]
COUNTRIES = ["CN", "US", "FR", "CA", None]
KINDS = ["model_release", "product_launch", "research", "business", "policy"]


def straightforward_latest(
    session: Session,
    *,
    country: str | None = None,
    orgs: list[str] | None = None,
    kind: str | None = None,
    limit: int = 5,
    flagged_only: bool = True,
) -> list[Row]:
    """What /race latest answers, read the plain way: every item, filtered and sorted here,
    the newest ``limit`` x 4 kept, then one per story."""
    rows = session.execute(
        select(Item, Classification, Source.name)
        .join(Classification, Classification.item_id == Item.id)
        .join(Source, Source.id == Item.source_id)
    ).all()
    kept = [
        (i, c, s)
        for i, c, s in rows
        if c.derivative_of is None
        and (c.primary_country == country if country else not flagged_only or c.primary_country)
        and (not orgs or c.primary_org in orgs)
        and (not kind or c.kind == kind)
    ]
    kept.sort(key=lambda r: (r[0].published_at, r[0].id), reverse=True)
    out: list[Row] = []
    seen: set[int] = set()
    for i, c, s in kept[: limit * 4]:
        if i.story_id is not None:
            if i.story_id in seen:
                continue
            seen.add(i.story_id)
        out.append(
            Row(i.id, i.title, i.url, i.published_at, c.primary_country, c.primary_org, c.kind, s)
        )
        if len(out) >= limit:
            break
    return out


def fill_random(session: Session, rng: random.Random, count: int) -> None:
    now = datetime(2026, 11, 1, tzinfo=UTC)
    source = Source(
        name="r",
        type="feed",
        url="https://r.example/feed",
        spec={},
        origin="config",
        trusted=True,
        status="paused",
        interval_s=3600,
        next_poll_at=now,
    )
    session.add(source)
    session.flush()
    stories = count // 3
    session.execute(
        insert(Story),
        [
            {"id": n + 1, "title": f"s{n}", "created_at": now, "updated_at": now}
            for n in range(stories)
        ],
    )
    items, classes = [], []
    for n in range(count):
        # minutes over a few days: many items share a published time (ties go by id)
        when = now - timedelta(minutes=rng.randrange(0, 3000, 7))
        story = rng.randrange(1, stories + 1) if rng.random() < 0.5 else None
        items.append(
            {
                "id": n + 1,
                "source_id": source.id,
                "guid": f"g{n}",
                "url": f"https://r.example/{n}",
                "title": f"item {n}",
                "summary": "",
                "published_at": when,
                "fetched_at": now,
                "authors": [],
                "tags": [],
                "story_id": story,
            }
        )
        classes.append(
            {
                "item_id": n + 1,
                "published_at": when,
                "primary_country": rng.choice(COUNTRIES),
                "primary_org": rng.choice(ORGS),
                "kind": rng.choice(KINDS),
                "confidence": 0.5,
                "derivative_of": "base" if rng.random() < 0.1 else None,
            }
        )
    session.execute(insert(Item), items)
    session.execute(insert(Classification), classes)


def test_latest_answers_what_reading_every_item_answers(database_url: str) -> None:  # noqa: F811
    rng = random.Random(21)
    engine, sessions = open_store(database_url)
    try:
        with sessions.begin() as session:
            fill_random(session, rng, 1500)
        asks: list[dict[str, Any]] = [{}, {"flagged_only": False}]
        for _ in range(120):
            ask: dict[str, Any] = {"limit": rng.choice([1, 3, 5, 20])}
            if rng.random() < 0.5:
                ask["country"] = rng.choice(["CN", "US", "FR", "CA", "JP"])
            if rng.random() < 0.4:
                ask["orgs"] = rng.sample([o for o in ORGS if o] + ["nobody"], rng.randint(1, 3))
            if rng.random() < 0.5:
                ask["kind"] = rng.choice([*KINDS, "benchmark"])
            if rng.random() < 0.3:
                ask["flagged_only"] = False
            asks.append(ask)
        with sessions.begin() as session:
            for ask in asks:
                assert latest(session, **ask) == straightforward_latest(session, **ask), ask
    finally:
        engine.dispose()
