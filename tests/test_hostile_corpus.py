"""The whole hostile corpus through the whole pipeline: every hostile server at once,
beside a healthy one. Each gives items or a plain error; none stops the others."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from aiohttp import web

from bot.config.loader import load_config
from bot.runtime.app import start_app
from tests.conftest import LocalServer, rss
from tests.hostile_corpus import hostile_bodies
from tests.test_hostile_ingest import cli


async def test_every_hostile_server_costs_only_its_own_source(
    server: LocalServer, tmp_path: Path, write_config: Callable[[dict[str, Any]], Path]
) -> None:
    bodies = hostile_bodies()
    for name, (body, headers) in bodies.items():
        server.set(f"/{name}", body, headers=headers)

    async def markup_redirect(request: web.Request) -> web.StreamResponse:
        return web.Response(status=302, headers={"Location": "http://[bold]gone[/]/x"})

    server.set("/markup-redirect", handler=markup_redirect)
    server.set("/healthy.xml", rss([{"title": "Healthy news", "guid": "ok"}]))
    names = [*bodies, "markup-redirect", "healthy.xml"]
    sources = [{"name": n.replace(".", "-"), "url": server.url(f"/{n}")} for n in names]
    path = write_config({"sources": sources, "poll": {"parse_timeout": "20s", "max_body": "4MiB"}})
    app = await start_app(load_config(path, env={}))
    try:
        outcomes = {o.source: o for o in await app.poll_once(force=True)}
    finally:
        await app.close()
    assert set(outcomes) == {s["name"] for s in sources}
    assert outcomes["healthy-xml"].ok and outcomes["healthy-xml"].new_items == 1
    for name, outcome in outcomes.items():
        assert outcome.ok or (outcome.error and "internal error" not in outcome.error), name
    assert outcomes["gzip-bomb"].error and "cap" in outcomes["gzip-bomb"].error
    assert outcomes["raw-deflate-bomb"].error and "cap" in outcomes["raw-deflate-bomb"].error
    assert outcomes["json-nul-and-surrogates"].new_items == 3
    assert outcomes["too-many-entries"].new_items == 500
    table = cli(path, tmp_path, "sources")
    assert "[bold]gone[/]" in table and "\x1b" not in table
    assert "only the first 500 were read" in table
