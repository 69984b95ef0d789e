"""Three racewatch processes on one PostgreSQL: 500 feeds, 2,000 new items, one process killed
mid-cycle. Every alert arrives exactly once and the survivors finish the work.

Runs against the PostgreSQL the machine provides (RACEWATCH_TEST_POSTGRES, default
127.0.0.1:5432); skips elsewhere with a note on how to run it, and fails in CI if it is missing.
"""

from __future__ import annotations

import asyncio
import collections
import hashlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import create_engine, func, select

from bot.store.db import normalise_url, open_store
from bot.store.schema import Delivery, Source
from tests.conftest import LocalServer, fresh_postgres_database, rss
from tests.fakes import FakeSlack
from tests.faultkit import Fleet
from tests.progress import until_done

pytestmark = pytest.mark.slow
FEEDS, PER_FEED, PROCESSES = 500, 4, 3
ORGS = ["DeepSeek", "OpenAI", "Moonshot AI", "Anthropic", "Zhipu AI", "Google DeepMind"]


def pseudo_word(seed: str) -> str:
    return hashlib.sha1(seed.encode()).hexdigest()[:6]


def entries(feed: int) -> list[dict[str, Any]]:
    out = []
    for i in range(PER_FEED):
        words = " ".join(pseudo_word(f"{feed}-{i}-{k}") for k in range(4))
        org = ORGS[(feed + i) % len(ORGS)]
        out.append(
            {
                "title": f"{org} unveils {words}",
                "guid": f"f{feed}-{i}",
                "link": f"https://news.example/{feed}/{i}",
            }
        )
    return out


@pytest.fixture
def pg_url() -> Iterator[str]:
    yield from fresh_postgres_database()


def delivered(slack: FakeSlack) -> collections.Counter[str]:
    """Messages per delivery, from the metadata racewatch attaches to every alert."""
    keys: collections.Counter[str] = collections.Counter()
    for post in slack.posts:
        metadata = post.get("metadata")
        metadata = json.loads(metadata) if isinstance(metadata, str) else metadata or {}
        keys[str(metadata.get("event_payload", {}).get("delivery"))] += 1
    return keys


async def test_three_processes_deliver_every_alert_once_despite_a_kill(
    server: LocalServer, slack_api: FakeSlack, tmp_path: Path, pg_url: str
) -> None:
    for n in range(FEEDS):
        server.set(f"/feed/{n}.xml", rss([]))
    config = {
        "database_url": pg_url,
        "default_sources": False,
        "sources": [
            {"name": f"feed-{n}", "url": server.url(f"/feed/{n}.xml"), "interval": "2s"}
            for n in range(FEEDS)
        ],
        "destinations": {"slack": {"type": "slack", "channel": "C0RACE", "rate": 2000}},
        "platforms": {"slack_api": slack_api.api},
        "rules": [{"name": "race", "when": {"countries_involved": ["CN", "US"]}}],
        "poll": {"jitter": 0, "tick": "0.5s", "concurrency": 32, "lease": "5s"},
        "outbox_interval": 0.3,
        "outbox_lease": "3s",
        "roll_up_at": 100000,
        "log_level": "warning",
    }
    path = tmp_path / "racewatch.yaml"
    path.write_text(yaml.safe_dump(config))
    fleet = Fleet(path, {"SLACK_BOT_TOKEN": "xoxb-good"}, tmp_path)
    for _ in range(PROCESSES):
        await fleet.start()
    engine = create_engine(normalise_url(pg_url))
    open_store(pg_url)  # wait for the schema (the processes migrate one at a time)

    def count(query: Any) -> int:
        with engine.connect() as conn:
            return int(conn.execute(query).scalar() or 0)

    try:
        await until_done(
            lambda: count(select(func.count()).select_from(Source).where(Source.baseline_done)),
            FEEDS,
            "every feed's baseline poll",
            logs=fleet.logs,
        )
        for n in range(FEEDS):
            server.set(f"/feed/{n}.xml", rss(entries(n)))
        await until_done(
            lambda: len(slack_api.posts), (FEEDS * PER_FEED) // 3, "a third", logs=fleet.logs
        )
        first = fleet.processes[0]
        assert first.returncode is None, fleet.logs()
        await fleet.kill(first)  # mid-cycle: holding sources and alerts
        await until_done(
            lambda: len(delivered(slack_api)), FEEDS * PER_FEED, "every alert", logs=fleet.logs
        )
        await asyncio.sleep(2)  # time for a wrong duplicate to show up
    finally:
        await fleet.stop()
    keys = delivered(slack_api)
    assert len(keys) == FEEDS * PER_FEED, fleet.logs()
    duplicates = {k: v for k, v in keys.items() if v > 1}
    assert duplicates == {}, f"{len(duplicates)} alerts arrived more than once"
    assert count(select(func.count()).select_from(Delivery).where(Delivery.status != "sent")) == 0
    engine.dispose()
