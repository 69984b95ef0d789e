"""Shared fixtures: a local HTTP server that tests program route by route, and config files.

Two tiers. A plain ``pytest`` runs the fast tier: direct tests of the pure cores (attribution,
rules, stories, rendering, parsing), in well under a minute. Tests that go through real
surfaces (a local HTTP server, a database, the chat fakes, PostgreSQL, subprocesses) are the
``slow`` tier: a test that asks for one of the fixtures below is marked slow here, and the
others that start processes carry ``@pytest.mark.slow`` themselves. ``scripts/check`` (and
CI) runs both tiers, with coverage; ``pytest -m slow`` runs the slow tier alone.
"""

from __future__ import annotations

import gzip
import os
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import pytest
import yaml
from aiohttp import web

from bot.attribution.classify import Classifier
from bot.attribution.registry import load_registry
from bot.serving import start_local
from tests.fakes import FakeDiscord, FakeSlack

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
END_TO_END_FIXTURES = frozenset(
    {
        "server",  # a local HTTP server
        "write_config",  # a settings file with its own database: the real App or CLI
        "database_url",
        "slack_api",  # the chat fakes
        "discord_api",
        "pg_url",  # PostgreSQL
        "postgres_url",
    }
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test that goes through a real surface as part of the slow tier."""
    for item in items:
        fixtures = set(getattr(item, "fixturenames", ()))
        if fixtures & END_TO_END_FIXTURES or item.get_closest_marker("postgres"):
            item.add_marker(pytest.mark.slow)


@dataclass
class Route:
    body: bytes = b""
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    etag: str | None = None
    handler: Handler | None = None


@dataclass
class LocalServer:
    """Serves programmable routes on 127.0.0.1 at an ephemeral port and records requests."""

    routes: dict[str, Route] = field(default_factory=dict)
    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    queries: list[str] = field(default_factory=list)  # every request's path with its query
    base: str = ""
    _runner: web.AppRunner | None = None

    def url(self, path: str) -> str:
        return self.base + path

    def set(self, path: str, body: bytes | str = b"", **kwargs: Any) -> None:
        data = body.encode() if isinstance(body, str) else body
        self.routes[path] = Route(body=data, **kwargs)

    def hits(self, path: str) -> list[dict[str, str]]:
        return [h for p, h in self.requests if p == path]

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        path = request.path_qs if request.path_qs in self.routes else request.path
        self.requests.append((path, dict(request.headers)))
        self.queries.append(request.path_qs)
        route = self.routes.get(path)
        if route is None:
            return web.Response(status=404)
        if route.handler is not None:
            return await route.handler(request)
        headers = dict(route.headers)
        if route.etag:
            headers["ETag"] = route.etag
            if request.headers.get("If-None-Match") == route.etag:
                return web.Response(status=304, headers=headers)
        return web.Response(status=route.status, body=route.body, headers=headers)

    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner, port = await start_local(app)
        self.base = f"http://127.0.0.1:{port}"

    async def stop(self) -> None:
        if self._runner:
            await self._runner.cleanup()


@pytest.fixture
async def server() -> AsyncIterator[LocalServer]:
    srv = LocalServer()
    await srv.start()
    yield srv
    await srv.stop()


def rss(entries: list[dict[str, Any]], title: str = "Test feed") -> str:
    """A small RSS 2.0 document; each entry: title, link, guid, summary, age (timedelta)."""
    now = datetime.now(UTC)
    items = []
    for e in entries:
        when = now - e.get("age", timedelta(hours=1))
        items.append(
            f"<item><title>{escape(e['title'])}</title>"
            + (f"<link>{escape(e['link'])}</link>" if e.get("link") else "")
            + (f"<guid>{escape(e['guid'])}</guid>" if e.get("guid") else "")
            + f"<pubDate>{format_datetime(when)}</pubDate>"
            f"<description>{escape(e.get('summary', ''))}</description></item>"
        )
    return (
        f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>{title}'
        f"</title><link>https://example.org/</link>{''.join(items)}</channel></rss>"
    )


def gzip_bytes(data: bytes) -> bytes:
    return gzip.compress(data)


POSTGRES_ADMIN_URL = os.environ.get(
    "RACEWATCH_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres"
)


def fresh_postgres_database() -> Iterator[str]:
    """A new, empty PostgreSQL database for one test, dropped afterwards.

    Skips when no server answers, except in CI, where PostgreSQL is part of the machine and a
    missing server is a failure, not a reason to test less.
    """
    import uuid

    import psycopg

    admin = POSTGRES_ADMIN_URL
    try:
        conn = psycopg.connect(admin, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as exc:
        message = (
            f"PostgreSQL not reachable at {admin} ({exc}); start it or set "
            "RACEWATCH_TEST_POSTGRES=postgresql://USER@HOST:PORT/postgres to run these tests"
        )
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    name = f"rw_test_{uuid.uuid4().hex[:12]}"
    with conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base = admin.rsplit("/", 1)[0]
    try:
        yield f"{base}/{name}"
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
async def discord_api() -> AsyncIterator[FakeDiscord]:
    """A local stand-in for Discord's API (tests/fakes.py)."""
    fake = FakeDiscord()
    await fake.start()
    yield fake
    await fake.stop()


@pytest.fixture
async def slack_api() -> AsyncIterator[FakeSlack]:
    """A local stand-in for Slack's Web API (tests/fakes.py)."""
    fake = FakeSlack()
    await fake.start()
    yield fake
    await fake.stop()


@pytest.fixture(scope="session")
def classifier() -> Classifier:
    """The classifier on the shipped registry, built once (loading it takes about 0.5 s)."""
    return Classifier(load_registry())


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'rw.sqlite3'}"


@pytest.fixture
def write_config(tmp_path: Path, database_url: str) -> Callable[[dict[str, Any]], Path]:
    """Write a settings file whose database belongs to this test alone."""

    def write(settings: dict[str, Any]) -> Path:
        data = {"database_url": database_url, "default_sources": False, **settings}
        path = tmp_path / "racewatch.yaml"
        path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
        return path

    return write


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Tests never see the developer's own racewatch settings or tokens."""
    for name in list(os.environ):
        if name.startswith("RACEWATCH_") or name in ("DATABASE_URL", "HF_TOKEN", "HF_ENDPOINT"):
            monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg-cache"))
