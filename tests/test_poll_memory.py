"""A restarted racewatch remembers what each feed gave it: stored items are not classified
again when a feed changes, and the new ones still alert."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.config.loader import load_config
from bot.runtime.app import start_app
from bot.runtime.prepare import PreparedFeed
from tests.conftest import LocalServer, fresh_postgres_database, rss


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'rw.sqlite3'}"
    else:
        yield from fresh_postgres_database()


OLD = [
    {"title": "DeepSeek open-sources DeepSeek-V3.2", "guid": "https://d.example/1"},
    {"title": "OpenAI releases GPT-5", "guid": "https://o.example/2"},
]
NEW = {"title": "Moonshot AI releases Kimi K3", "guid": "https://m.example/3"}


async def poll_in_a_new_process(path: Path) -> list[set[str]]:
    """One ``poll --once``; the guids the parser workers classified, per feed."""
    app = await start_app(load_config(path, env={}))
    classified: list[set[str]] = []
    try:
        assert app.parsers is not None
        run = app.parsers.run

        async def recording(label: str, fn: Any, *args: Any) -> Any:
            result = await run(label, fn, *args)
            if isinstance(result, PreparedFeed):
                classified.append(set(result.classified))
            return result

        app.parsers.run = recording  # type: ignore[method-assign]
        await app.poll_once(force=True)
    finally:
        await app.close()
    return classified


async def test_a_restarted_poll_classifies_only_what_the_feed_did_not_have(
    server: LocalServer, tmp_path: Path, write_config: Callable[[dict[str, Any]], Path]
) -> None:
    out = tmp_path / "alerts.jsonl"
    server.set("/feed.xml", rss(OLD))
    path = write_config(
        {
            "sources": [{"name": "news", "url": server.url("/feed.xml")}],
            "destinations": {"file": {"type": "jsonl", "path": str(out)}},
            "rules": [{"name": "all", "when": {"countries_involved": ["CN", "US"]}}],
        }
    )
    assert await poll_in_a_new_process(path) == [{"https://d.example/1", "https://o.example/2"}]
    server.set("/feed.xml", rss([NEW, *OLD]))
    assert await poll_in_a_new_process(path) == [{"https://m.example/3"}]
    alerts = [json.loads(line) for line in out.read_text().splitlines()] if out.exists() else []
    assert [a.get("title") for a in alerts if a.get("title")] == [NEW["title"]]
