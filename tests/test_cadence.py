"""Cadence and openness: monthly releases, open-weights share, sizes and modalities must
equal a count made the slow way from the stored stories; coverage counts sources."""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select

from bot.commands.cadence import cadence_lines
from bot.commands.cadence_chart import cadence_figure
from bot.config.loader import load_config
from bot.runtime.app import start_app
from bot.store.cadence import cadence, month_starts
from bot.store.schema import Classification, Item, Story
from bot.store.stats import RELEASE_KINDS
from tests.conftest import LocalServer, rss
from tests.test_gap import entries


def test_month_starts_cross_the_year() -> None:
    firsts = month_starts(date(2026, 2, 14), 4)
    assert firsts == [date(2025, 11, 1), date(2025, 12, 1), date(2026, 1, 1), date(2026, 2, 1)]


async def test_cadence_equals_a_count_from_the_stories(
    server: LocalServer, write_config: Callable[[dict[str, Any]], Path]
) -> None:
    server.set("/a.xml", rss(entries(11, 80, 400)))
    server.set("/b.xml", rss(entries(12, 80, 400)))
    path = write_config(
        {
            "sources": [
                {"name": "a", "type": "feed", "url": server.url("/a.xml"), "country": "US"},
                {"name": "b", "type": "feed", "url": server.url("/b.xml"), "country": "CN"},
                {"name": "c", "type": "feed", "url": server.url("/c.xml")},
            ],
            "poll": {"allow_private_networks": True, "max_item_age": "3650d"},
        }
    )
    server.set("/c.xml", rss([]))
    app = await start_app(load_config(path, env={}))
    try:
        await app.poll_once(force=True)
        assert app.sessions is not None and app.outbox is not None
        now = datetime.now(UTC)
        with app.sessions.begin() as session:  # the figures are kept between calls ...
            cadence(session, now, app.outbox.registry)
        server.set("/c.xml", rss(entries(13, 40, 400)))
        await app.poll_once(force=True)  # ... and grow with the stories added since
        with app.sessions.begin() as session:
            found = cadence(session, now, app.outbox.registry)
            rows = session.execute(
                select(Classification, Item.published_at)
                .join(Item, Item.id == Classification.item_id)
                .join(Story, Story.first_item_id == Item.id)
            ).all()
    finally:
        await app.close()
    first = found.months[0].first
    monthly: Counter[tuple[date, str]] = Counter()
    opened: Counter[tuple[date, str]] = Counter()
    sizes: dict[str, list[float]] = {"CN": [], "US": []}
    for cls, published in rows:
        month = date(published.year, published.month, 1)
        if (
            cls.primary_country not in ("CN", "US")
            or cls.derivative_of
            or cls.kind not in RELEASE_KINDS
            or month < first
        ):
            continue
        monthly[(month, cls.primary_country)] += 1
        if cls.open_weights == "yes":
            opened[(month, cls.primary_country)] += 1
            if cls.params:
                sizes[cls.primary_country].append(cls.params / 1e9)
    assert sum(monthly.values()) > 20  # the feeds span more than a year: a real test
    for m in found.months:
        for country in ("CN", "US"):
            assert m.releases.get(country, 0) == monthly[(m.first, country)], (m.first, country)
            assert m.open_weights.get(country, 0) == opened[(m.first, country)]
    for country in ("CN", "US"):
        expected = statistics.median(sizes[country]) if sizes[country] else None
        assert found.median_params[country] == expected
    assert found.coverage == {"US": 1, "CN": 1, "unknown": 1}
    text = "\n".join(cadence_lines(found, lambda org: org))
    assert f"{found.total('US')} releases" in text and "Coverage: racewatch polls 1 US" in text
    figure = cadence_figure(found, "Releases per month")
    axes = figure.axes[0]
    assert axes.get_ylabel() == "releases per month"
    assert any("2025" in t.get_text() or "2026" in t.get_text() for t in axes.get_xticklabels())
    assert len(axes.patches) == 4 * 12  # all and open bars, two countries, twelve months
    assert now - timedelta(days=400) < datetime.combine(first, datetime.min.time(), UTC)
