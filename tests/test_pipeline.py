"""Feeds in, alerts out: the whole pipeline against a local feed server and a real SQLite."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from bot.config.loader import load_config
from bot.runtime.app import App, start_app
from bot.store.schema import Item
from tests.conftest import LocalServer, fresh_postgres_database, rss


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Every pipeline test runs on both stores racewatch supports."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'rw.sqlite3'}"
    else:
        yield from fresh_postgres_database()


QWEN = {
    "title": "Alibaba releases Qwen3, a family of open-weights models",
    "link": "https://qwenlm.github.io/blog/qwen3/",
    "guid": "qwen3",
    "summary": "Alibaba's Qwen team open-sourced Qwen3-235B-A22B under Apache 2.0.",
}
KLING = {
    "title": "Kuaishou launches Kling 2.1 video generator to rival OpenAI's Sora",
    "link": "https://technode.com/kling-2-1",
    "guid": "kling",
    "summary": "Kling 2.1 generates 1080p video from text.",
}
OLD = {
    "title": "Baidu open-sources ERNIE 4.5 models",
    "link": "https://example.org/ernie",
    "guid": "ernie",
    "age": timedelta(days=10),
}


def alerts(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [r for r in map(json.loads, path.read_text().splitlines()) if r["type"] == "alert"]


async def poll(config_path: Path) -> App:
    app = await start_app(load_config(config_path, env={}))
    try:
        await app.poll_once(force=True)
    finally:
        await app.close()
    return app


def feed_config(server: LocalServer, tmp_path: Path, **extra: Any) -> dict[str, Any]:
    return {
        "sources": [
            {"name": "news", "url": server.url("/news.xml")},
            {"name": "broken", "url": server.url("/missing.xml")},
        ],
        "destinations": {"file": {"type": "jsonl", "path": str(tmp_path / "alerts.jsonl")}},
        "rules": [{"name": "race", "when": {"countries_involved": ["CN", "US"]}}],
        **extra,
    }


async def test_first_poll_is_a_silent_baseline_then_new_items_alert_once(
    server: LocalServer, tmp_path: Path, write_config: Callable[[dict[str, Any]], Path]
) -> None:
    server.set("/news.xml", rss([OLD]), etag='"v1"')
    path = write_config(feed_config(server, tmp_path))
    out = tmp_path / "alerts.jsonl"

    await poll(path)
    assert alerts(out) == []

    server.set("/news.xml", rss([QWEN, KLING, OLD]), etag='"v2"')
    await poll(path)
    got = alerts(out)
    assert sorted(a["title"] for a in got) == sorted([QWEN["title"], KLING["title"]])
    qwen = next(a for a in got if a["title"] == QWEN["title"])
    assert qwen["country"] == "CN" and qwen["flag"] == "🇨🇳"
    assert "Alibaba" in qwen["org"]  # the headline says Alibaba; its Qwen team would do too
    assert qwen["facts"]["Weights"].startswith("open")

    # a restart and another poll never repeat an alert
    await poll(path)
    assert len(alerts(out)) == 2
    assert server.hits("/news.xml")[-1].get("If-None-Match") == '"v2"'


async def test_items_older_than_the_age_limit_are_stored_but_not_alerted(
    server: LocalServer, tmp_path: Path, write_config: Callable[[dict[str, Any]], Path]
) -> None:
    server.set("/news.xml", rss([]))
    path = write_config(feed_config(server, tmp_path, poll={"max_item_age": "3d"}))
    await poll(path)
    server.set("/news.xml", rss([OLD, KLING]))
    app = await poll(path)
    assert [a["title"] for a in alerts(tmp_path / "alerts.jsonl")] == [KLING["title"]]
    assert app.engine is not None


async def test_one_broken_source_never_stops_the_others(
    server: LocalServer, tmp_path: Path, write_config: Callable[[dict[str, Any]], Path]
) -> None:
    server.set("/news.xml", rss([]))
    server.set(
        "/missing.xml",
        "<html><body>Not a feed</body></html>",
        headers={"Content-Type": "text/html"},
    )
    path = write_config(feed_config(server, tmp_path))
    await poll(path)
    server.set("/news.xml", rss([KLING]))
    app = await start_app(load_config(path, env={}))
    try:
        outcomes = {o.source: o for o in await app.poll_once(force=True)}
    finally:
        await app.close()
    assert outcomes["news"].ok and outcomes["news"].new_items == 1
    assert not outcomes["broken"].ok
    assert "HTML page, not a feed" in (outcomes["broken"].error or "")
    assert len(alerts(tmp_path / "alerts.jsonl")) == 1


async def test_the_same_story_from_two_outlets_is_one_alert(
    server: LocalServer, tmp_path: Path, write_config: Callable[[dict[str, Any]], Path]
) -> None:
    server.set("/news.xml", rss([]))
    server.set("/other.xml", rss([]))
    settings = feed_config(server, tmp_path)
    settings["sources"] = [
        {"name": "news", "url": server.url("/news.xml")},
        {"name": "other", "url": server.url("/other.xml")},
    ]
    path = write_config(settings)
    await poll(path)
    server.set("/news.xml", rss([QWEN]))
    server.set(
        "/other.xml",
        rss(
            [
                {
                    **QWEN,
                    "title": "阿里通义千问发布Qwen3系列模型，全面开源",
                    "link": "https://www.qbitai.com/qwen3",
                    "guid": "q",
                }
            ]
        ),
    )
    await poll(path)
    got = alerts(tmp_path / "alerts.jsonl")
    assert len(got) == 1
    assert got[0]["also_reported"]  # the other outlet is credited on the one alert


async def test_a_near_identical_headline_joins_another_outlets_story_not_its_own(
    server: LocalServer, tmp_path: Path, write_config: Callable[[dict[str, Any]], Path]
) -> None:
    first = "Kuaishou raises $1 billion for its Kling AI video unit"
    server.set("/news.xml", rss([]))
    server.set("/other.xml", rss([]))
    settings = feed_config(server, tmp_path)
    settings["sources"] = [
        {"name": "news", "url": server.url("/news.xml")},
        {"name": "other", "url": server.url("/other.xml")},
    ]
    app = await start_app(load_config(write_config(settings), env={}))
    try:
        await app.poll_once(force=True)
        server.set("/news.xml", rss([{"title": first, "guid": "a", "link": "https://n.example/a"}]))
        await app.poll_once(force=True)
        server.set(
            "/other.xml",
            rss([{"title": f"{first}, sources say", "guid": "b", "link": "https://o.example/b"}]),
        )
        server.set(
            "/news.xml",
            rss(
                [
                    {"title": first, "guid": "a", "link": "https://n.example/a"},
                    {"title": f"{first}: update", "guid": "c", "link": "https://n.example/c"},
                ]
            ),
        )
        await app.poll_once(force=True)
        assert app.sessions is not None
        with app.sessions.begin() as session:
            rows = session.execute(select(Item.guid, Item.story_id, Item.story_reason)).all()
        story = {guid.rsplit("/", 1)[-1]: story_id for guid, story_id, _ in rows}
        reason = {guid.rsplit("/", 1)[-1]: why for guid, _, why in rows}
        assert story["b"] == story["a"] and "similar" in (reason["b"] or "")
        assert story["c"] != story["a"]  # one outlet's second post is another event
        assert len(alerts(tmp_path / "alerts.jsonl")) == 2
    finally:
        await app.close()


async def test_items_another_process_stored_first_are_skipped_not_a_failure(
    server: LocalServer,
    tmp_path: Path,
    write_config: Callable[[dict[str, Any]], Path],
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Two processes can hold one source when a lease runs out mid-poll: the one that writes
    second finds an item stored since it looked. It stores the rest, and the source is fine."""
    from sqlalchemy import create_engine, insert
    from sqlalchemy.orm import Session

    from bot.store import items_repo
    from bot.store.schema import Source

    server.set("/news.xml", rss([OLD]), etag='"v1"')
    path = write_config(feed_config(server, tmp_path))
    await poll(path)
    server.set("/news.xml", rss([QWEN, KLING, OLD]), etag='"v2"')

    real = items_repo.unseen_items
    looks: list[list[str]] = []

    def racing(session: Session, source_id: int, items: Any) -> Any:
        fresh = real(session, source_id, items)
        firsts = [i for i in fresh if i.title == QWEN["title"]]
        if not looks and firsts:  # the other process commits the Qwen item just after this look
            other = create_engine(database_url)
            with other.begin() as conn:
                conn.execute(
                    insert(Item).values(
                        source_id=source_id,
                        guid=firsts[0].new.guid,
                        title=firsts[0].title,
                        summary=firsts[0].summary,
                        published_at=firsts[0].published_at,
                        fetched_at=firsts[0].published_at,
                    )
                )
            other.dispose()
        looks.append(sorted(i.title for i in fresh))
        return fresh

    monkeypatch.setattr(items_repo, "unseen_items", racing)
    await poll(path)

    assert looks[0] == sorted([QWEN["title"], KLING["title"]])
    assert looks[-1] == [KLING["title"]]  # the second pass stores only what is still new
    got = alerts(tmp_path / "alerts.jsonl")
    assert [a["title"] for a in got] == [KLING["title"]]
    engine = create_engine(database_url)
    with Session(engine) as session:
        titles = sorted(session.scalars(select(Item.title)))
        news = session.scalars(select(Source).where(Source.name == "news")).one()
        assert news.last_error is None
    engine.dispose()
    assert titles == sorted([OLD["title"], QWEN["title"], KLING["title"]])
