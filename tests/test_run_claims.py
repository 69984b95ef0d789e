"""`racewatch run` keeps its slots busy: a batch that finishes makes room for the next."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import update

from bot.config.loader import load_config
from bot.runtime.app import start_app
from bot.store.schema import Source
from tests.conftest import LocalServer, rss


@pytest.mark.slow  # starts the parser workers
async def test_a_finished_batch_claims_the_next_without_waiting_for_the_timer(
    server: LocalServer, write_config: Callable[[dict[str, Any]], Path]
) -> None:
    """Six due sources, two slots, and a timer that ticks once an hour: the first tick
    claims two, and every later poll is claimed because a batch finished."""
    sources = []
    for n in range(6):
        server.set(f"/f{n}.xml", rss([{"title": f"Item {n}", "guid": f"{n}"}]))
        sources.append({"name": f"f{n}", "url": server.url(f"/f{n}.xml"), "interval": "1s"})
    poll = {"jitter": 0, "concurrency": 1, "tick": "1h"}
    app = await start_app(load_config(write_config({"sources": sources, "poll": poll}), env={}))
    assert app.sessions is not None
    with app.sessions.begin() as session:  # all due now (new sources start within 5 s)
        session.execute(update(Source).values(next_poll_at=datetime.now(UTC)))
    stop = asyncio.Event()
    running = asyncio.create_task(app.run_forever(stop))

    def polled() -> int:
        return sum(1 for n in range(6) if server.hits(f"/f{n}.xml"))

    try:
        for _ in range(600):  # patience only: without it, four sources wait an hour
            if polled() == 6 or running.done():
                break
            await asyncio.sleep(0.1)
        assert polled() == 6
    finally:
        stop.set()
        await running
        await app.close()
