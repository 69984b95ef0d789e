"""The gap's monthly roll-ups (modalities, open sizes) that ingest keeps equal a recount
from the stored stories, on both stores."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from bot.config.loader import load_config
from bot.runtime.app import start_app
from bot.store.schema import Item, ItemDay, ReleaseDay, ReleaseModality, ReleaseMonth, ReleaseSize
from bot.store.stats import _grouped, _window_days, rebuild_facets, rebuild_rollups, scoreboard
from tests.conftest import LocalServer, rss
from tests.test_gap import entries
from tests.test_pipeline import database_url  # noqa: F401  (both stores, as the pipeline)


async def test_monthly_rollups_kept_by_ingest_equal_a_recount(
    server: LocalServer,
    write_config: Callable[[dict[str, Any]], Path],
    database_url: str,  # noqa: F811
) -> None:
    server.set("/a.xml", rss(entries(21, 60, 400)))
    server.set("/b.xml", rss(entries(22, 60, 400)))
    path = write_config(
        {
            "database_url": database_url,
            "sources": [
                {"name": "a", "type": "feed", "url": server.url("/a.xml"), "country": "US"},
                {"name": "b", "type": "feed", "url": server.url("/b.xml"), "country": "CN"},
            ],
            "poll": {"allow_private_networks": True, "max_item_age": "3650d"},
        }
    )
    app = await start_app(load_config(path, env={}))
    try:
        await app.poll_once(force=True)
        server.set("/a.xml", rss(entries(23, 30, 400)))
        await app.poll_once(force=True)  # a second batch adds to the same months
        assert app.sessions is not None

        def read() -> list[list[Any]]:
            assert app.sessions is not None
            with app.sessions.begin() as session:
                m, z, r = ReleaseModality, ReleaseSize, ReleaseMonth
                return [
                    sorted(session.execute(select(m.month, m.country, m.modality, m.stories))),
                    sorted(session.execute(select(z.month, z.country, z.params, z.stories))),
                    sorted(
                        session.execute(
                            select(r.month, r.country, r.kind, r.open_weights, r.org, r.stories)
                        )
                    ),
                    sorted(session.execute(select(ItemDay.day, ItemDay.items))),
                ]

        kept = read()
        with app.sessions.begin() as session:
            rebuild_facets(session)
            rebuild_rollups(session)
        assert read() == kept
        assert sum(row[-1] for row in kept[0]) > 10  # releases were counted: a real test
        assert sum(row[-1] for row in kept[3]) > 150  # every item, on its day
        # windows of whole months and days read as the daily totals alone give them
        with app.sessions.begin() as session:
            r = ReleaseDay
            for shift in (0, 9, 17, 40):
                now = datetime.now(UTC) - timedelta(days=shift)
                for days in (7, 30, 31, 62, 90, 365, 400):
                    first, end = _window_days(now, days)
                    plain = session.execute(
                        select(r.country, r.kind, r.open_weights, r.org, func.sum(r.stories))
                        .where(r.day >= first, r.day < end)
                        .group_by(r.country, r.kind, r.open_weights, r.org)
                    )
                    expected = sorted((c, k, o, org or None, int(n)) for c, k, o, org, n in plain)
                    assert _grouped(session, first, end) == expected, (shift, days)
                    since = datetime.combine(first, time(), UTC)
                    items = session.scalar(
                        select(func.count()).select_from(Item).where(Item.published_at >= since)
                    )
                    assert scoreboard(session, now, days).total_items == items
    finally:
        await app.close()
