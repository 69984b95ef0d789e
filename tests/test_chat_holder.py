"""One holder of chat: when the holder's database connection is cut, it drops its Discord
gateway at its next heartbeat, and a standby takes over only after that, so two gateways
never run at once."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml
from aiohttp import WSMsgType, web

from bot.config.loader import load_config
from bot.runtime.app import App, start_app
from tests.conftest import POSTGRES_ADMIN_URL, LocalServer, fresh_postgres_database
from tests.fakes import FakeDiscord
from tests.faultkit import ThreadedPgProxy


@pytest.fixture
def pg_url() -> Iterator[str]:
    yield from fresh_postgres_database()


class Gateway:
    """A fake Discord gateway that counts the connections open at once."""

    def __init__(self) -> None:
        self.open = 0
        self.most = 0
        self.identified = 0

    async def handle(self, request: web.Request) -> web.StreamResponse:
        socket = web.WebSocketResponse()
        await socket.prepare(request)
        self.open += 1
        self.most = max(self.most, self.open)
        try:
            await socket.send_json({"op": 10, "d": {"heartbeat_interval": 45000}})
            async for message in socket:
                if message.type == WSMsgType.TEXT and json.loads(message.data)["op"] == 2:
                    self.identified += 1
        finally:
            self.open -= 1
        return socket


async def until(predicate: Any, limit: float = 30) -> None:
    async with asyncio.timeout(limit):
        while not predicate():
            await asyncio.sleep(0.05)


@pytest.mark.postgres
async def test_a_holder_cut_from_the_database_drops_chat_before_a_standby_takes_it(
    server: LocalServer,
    discord_api: FakeDiscord,
    tmp_path: Path,
    pg_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    gateway = Gateway()
    server.set("/gateway", handler=gateway.handle)
    monkeypatch.setenv("DISCORD_TOKEN", "good-token")
    admin = urlsplit(POSTGRES_ADMIN_URL)
    proxy = ThreadedPgProxy(admin.hostname or "127.0.0.1", admin.port or 5432)
    proxy.start()
    parts = urlsplit(pg_url)
    via_proxy = parts._replace(netloc=f"{parts.username or 'postgres'}@127.0.0.1:{proxy.port}")

    async def app(url: str, name: str, clock: Any = None) -> App:
        settings = {
            "database_url": url,
            "default_sources": False,
            "platforms": {
                "discord_api": discord_api.api,
                "discord_gateway": server.url("/gateway").replace("http://", "ws://"),
            },
        }
        path = tmp_path / f"{name}.yaml"
        path.write_text(yaml.safe_dump(settings), encoding="utf-8")
        return await start_app(load_config(path, env={}), **({"clock": clock} if clock else {}))

    later = {"now": datetime.now(UTC)}
    holder = await app(via_proxy.geturl(), "holder")
    standby = await app(pg_url, "standby", clock=lambda: later["now"])
    try:
        await holder.start_chat()
        await holder._heartbeat()
        await until(lambda: gateway.identified == 1)
        await standby.start_chat()  # the lock is taken: it stands by
        assert gateway.open == 1

        proxy.cut()  # the holder loses its database
        await asyncio.sleep(0.5)
        await standby._heartbeat()  # the lock is free, but the holder may still have chat
        await asyncio.sleep(0.5)
        assert gateway.open == 1

        await holder._heartbeat()  # the holder re-checks its lock and drops chat at once
        await until(lambda: gateway.open == 0)

        # later on: the holder's last heartbeat is old enough for a take-over
        later["now"] = datetime.now(UTC) + timedelta(seconds=31)
        await standby._heartbeat()
        await until(lambda: gateway.identified == 2)
        assert gateway.open == 1
        proxy.cut(down=False)
    finally:
        await standby.close()
        await holder.close()
        proxy.stop()
    assert gateway.most == 1  # never two gateways at once
