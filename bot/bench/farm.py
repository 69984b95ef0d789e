"""A local feed farm and a rate-limited chat stand-in, for benchmarks (loopback only)."""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web

from bot.serving import start_local


def _serve_folder(folder: str, ports: Any) -> None:  # pragma: no cover - runs in a child process
    """Serve ``folder/N.xml`` (with ``N.etag`` beside it when the page has one) on loopback."""
    import os.path

    async def handle(request: web.Request) -> web.Response:
        name = request.path.rsplit("/", 1)[-1]
        path = os.path.join(folder, name)
        try:
            with open(path, "rb") as fh:
                body = fh.read()
        except OSError:
            return web.Response(status=404)
        etag = None
        if os.path.exists(path + ".etag"):
            with open(path + ".etag") as fh:
                etag = fh.read()
        if etag and request.headers.get("If-None-Match") == etag:
            return web.Response(status=304, headers={"ETag": etag})
        return web.Response(
            body=body,
            headers={"Content-Type": "application/rss+xml", **({"ETag": etag} if etag else {})},
        )

    async def main() -> None:
        app = web.Application()
        app.router.add_get("/{tail:.*}", handle)
        _runner, port = await start_local(app, backlog=2048)
        ports.put(port)
        await asyncio.Event().wait()

    asyncio.run(main())


class FarmProcess:
    """The feed farm in its own process, so its CPU is not counted as racewatch's."""

    def __init__(self) -> None:
        self.folder = tempfile.mkdtemp(prefix="racewatch-farm-")
        self.base = ""
        self._process: Any = None

    def put(self, n: int, body: bytes, etag: str | None = None) -> None:
        path = Path(self.folder) / f"{n}.xml"
        path.write_bytes(body)
        tag = Path(f"{path}.etag")
        if etag:
            tag.write_text(etag)
        elif tag.exists():
            tag.unlink()

    def start(self) -> None:
        ctx = multiprocessing.get_context("spawn")
        ports = ctx.Queue()
        self._process = ctx.Process(target=_serve_folder, args=(self.folder, ports), daemon=True)
        self._process.start()
        self.base = f"http://127.0.0.1:{ports.get(timeout=60)}"

    def stop(self) -> None:
        if self._process is not None:
            self._process.terminate()
            self._process.join(5)
        shutil.rmtree(self.folder, ignore_errors=True)


@dataclass
class Page:
    body: bytes
    etag: str | None = None


@dataclass
class Farm:
    """Serves ``/f/N.xml``; a page with an ETag answers 304 to a matching If-None-Match."""

    pages: dict[str, Page] = field(default_factory=dict)
    hits: int = 0
    base: str = ""
    _runner: web.AppRunner | None = None

    async def handle(self, request: web.Request) -> web.Response:
        self.hits += 1
        page = self.pages.get(request.path)
        if page is None:
            return web.Response(status=404)
        if page.etag and request.headers.get("If-None-Match") == page.etag:
            return web.Response(status=304, headers={"ETag": page.etag})
        headers = {"ETag": page.etag} if page.etag else {}
        return web.Response(
            body=page.body, headers={**headers, "Content-Type": "application/rss+xml"}
        )

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/{tail:.*}", self.handle)
        self._runner, port = await start_local(app, backlog=1024)
        self.base = f"http://127.0.0.1:{port}"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()


@dataclass
class RateLimitedChat:
    """A Slack-like ``chat.postMessage`` that allows one message per second per channel and
    answers 429 with Retry-After when posted to faster, like Slack does."""

    per_second: float = 1.0
    received: list[tuple[float, dict[str, object]]] = field(default_factory=list)
    rejected: int = 0
    base: str = ""
    _last: float = 0.0
    _runner: web.AppRunner | None = None
    arrived: asyncio.Event = field(default_factory=asyncio.Event)

    async def post(self, request: web.Request) -> web.Response:
        now = time.monotonic()
        if now - self._last < 1 / self.per_second * 0.9:
            self.rejected += 1
            return web.json_response(
                {"ok": False, "error": "ratelimited"}, status=429, headers={"Retry-After": "1"}
            )
        self._last = now
        body = (
            await request.json()
            if request.content_type == "application/json"
            else dict(await request.post())
        )
        self.received.append((time.monotonic(), body))
        self.arrived.set()
        return web.Response(
            body=json.dumps({"ok": True, "channel": "C1", "ts": f"{now:.6f}"}).encode(),
            headers={"Content-Type": "application/json"},
        )

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/api/chat.postMessage", self.post)
        self._runner, port = await start_local(app)
        self.base = f"http://127.0.0.1:{port}"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
