"""The Discord gateway address is a setting (discord.py has one built in): /race's websocket
opens where ``platforms.discord_gateway`` points, here a local fake gateway."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp import WSMsgType, web

from bot.config.loader import load_config
from bot.runtime.app import start_app
from tests.conftest import LocalServer
from tests.fakes import FakeDiscord


async def test_the_gateway_setting_takes_discord_chat_to_that_gateway(
    server: LocalServer,
    discord_api: FakeDiscord,
    write_config: Callable[[dict[str, Any]], Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    identified: list[dict[str, Any]] = []

    async def gateway(request: web.Request) -> web.StreamResponse:
        socket = web.WebSocketResponse()
        await socket.prepare(request)
        await socket.send_json({"op": 10, "d": {"heartbeat_interval": 45000}, "s": None, "t": None})
        async for message in socket:
            if message.type == WSMsgType.TEXT and json.loads(message.data)["op"] == 2:
                identified.append(json.loads(message.data)["d"])
                break
        await socket.close()
        return socket

    server.set("/gateway", handler=gateway)
    monkeypatch.setenv("DISCORD_TOKEN", "good-token")
    path = write_config(
        {
            "platforms": {
                "discord_api": discord_api.api,
                "discord_gateway": server.url("/gateway").replace("http://", "ws://"),
            },
        }
    )
    app = await start_app(load_config(path, env={}))
    try:
        await app.start_chat()
        async with asyncio.timeout(30):
            while not identified:
                await asyncio.sleep(0.05)
    finally:
        await app.close()
    assert identified[0]["token"] == "good-token"
    assert any(q.startswith("/gateway?v=10") for q in server.queries)
