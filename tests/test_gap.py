"""The gap's counts come from daily totals kept by ingest; they must equal a count made from
the stored stories themselves, on both stores, for items either side of a window's edges."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select

from bot.config.loader import load_config
from bot.runtime.app import App, start_app
from bot.store.schema import Classification, Item, ReleaseDay, Story
from bot.store.stats import RELEASE_KINDS, rebuild_release_days, scoreboard, weekly
from tests.conftest import LocalServer, rss
from tests.test_pipeline import database_url  # noqa: F401  (both stores, as the pipeline)


def windows(now: datetime) -> tuple[datetime, datetime, datetime]:
    """Now, and the starts of `gap 30d` and of the 30 days before it: UTC calendar days."""
    today = datetime.combine(now.astimezone(UTC).date(), time(), UTC)
    return now, today - timedelta(days=29), today - timedelta(days=59)


HEADLINES = [
    "Alibaba releases Qwen{n}, an open-weights reasoning model",
    "DeepSeek open-sources DeepSeek-V{n} under the MIT licence",
    "Moonshot AI launches Kimi K{n} agent model",
    "OpenAI releases GPT-{n} to all ChatGPT users",
    "Anthropic launches Claude {n} for coding",
    "Kuaishou raises $2B for Kling video generation {n}",
    "Mistral AI releases Magistral {n} reasoning model",
    "Google unveils Gemini {n} Pro",
]


def entries(seed: int, count: int, days: float) -> list[dict[str, Any]]:
    """Items spread over ``days``, several of them an hour or two either side of the edges
    of `gap 30d` and of the window before it, some sharing a release."""
    rng = random.Random(seed)
    now = datetime.now(UTC)
    ages = [timedelta(days=rng.uniform(0, days)) for _ in range(count)]
    for edge in windows(now)[1:]:
        ages += [now - edge + timedelta(hours=h) for h in (-2, -1, 1, 2)]
    out = []
    for n, age in enumerate(ages):
        text = rng.choice(HEADLINES).format(n=rng.randint(2, 90))
        out.append({"title": text, "guid": f"s{seed}-{n}", "link": f"https://n.example/{n}"})
        out[-1]["age"] = age
    return out


def counted_from_stories(app: App, since: datetime, until: datetime) -> Counter[tuple[str, str]]:
    """Releases by (country, kind), counted the slow way: each story by the item that
    started it."""
    assert app.sessions is not None
    with app.sessions.begin() as session:
        rows = session.execute(
            select(Classification, Item.published_at)
            .join(Item, Item.id == Classification.item_id)
            .join(Story, Story.first_item_id == Item.id)
        ).all()
    out: Counter[tuple[str, str]] = Counter()
    for cls, published in rows:
        if cls.primary_country and not cls.derivative_of and since <= published < until:
            group = cls.primary_country if cls.primary_country in ("CN", "US") else "other"
            out[(group, cls.kind)] += 1
    return out


async def test_gap_counts_equal_a_count_from_the_stories(
    server: LocalServer, write_config: Callable[[dict[str, Any]], Path]
) -> None:
    server.set("/a.xml", rss(entries(1, 60, 75)))
    server.set("/b.xml", rss(entries(2, 60, 75)))
    path = write_config(
        {
            "sources": [
                {"name": "a", "url": server.url("/a.xml")},
                {"name": "b", "url": server.url("/b.xml")},
            ]
        }
    )
    app = await start_app(load_config(path, env={}))
    try:
        await app.poll_once(force=True)
        assert app.sessions is not None
        now = datetime.now(UTC)
        with app.sessions.begin() as session:
            board = scoreboard(session, now, 30)
            starts, series = weekly(session, now, 30)
        _now, since, earlier = windows(now)
        current = counted_from_stories(app, since, now + timedelta(minutes=10))
        before = counted_from_stories(app, earlier, since)
        assert sum(current.values()) > 15 and sum(before.values()) > 15  # a real test
        for line in board.lines:
            kinds = {k: n for (c, k), n in current.items() if c == line.country}
            assert line.by_kind == dict(sorted(kinds.items(), key=lambda kv: -kv[1]))
            assert line.releases == sum(n for k, n in kinds.items() if k in RELEASE_KINDS)
            # the breakdown under the table adds up to the total, every number labelled
            total, parts = line.breakdown().split(";")[0].split(" = ")
            assert total == f"{line.releases} releases"
            assert sum(int(p.split()[0]) for p in parts.split(" + ")) == line.releases
            assert all(p.split(maxsplit=1)[1] for p in parts.split(" + "))
            assert line.previous == sum(
                n for (c, k), n in before.items() if c == line.country and k in RELEASE_KINDS
            )
        # the chart's weeks hold every release in their span
        charted = sum(sum(v) for v in series.values())
        spanned = counted_from_stories(app, starts[0], now + timedelta(minutes=10))
        assert charted == sum(
            n for (c, k), n in spanned.items() if c != "other" and k in RELEASE_KINDS
        )

        # the daily totals kept by ingest are exactly what a full recount gives
        with app.sessions.begin() as session:
            kept = sorted(session.execute(select(ReleaseDay)).scalars(), key=_key)
            kept_rows = [(*_key(r), r.stories) for r in kept]
            rebuild_release_days(session)
        with app.sessions.begin() as session:
            rebuilt = sorted(session.execute(select(ReleaseDay)).scalars(), key=_key)
            assert [(*_key(r), r.stories) for r in rebuilt] == kept_rows
    finally:
        await app.close()


def _key(row: ReleaseDay) -> tuple[Any, ...]:
    return (row.day, row.country, row.kind, row.open_weights, row.org)
