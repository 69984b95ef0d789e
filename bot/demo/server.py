"""Serve the demo snapshot on a loopback port, with ETags, as real feed servers do."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import yaml
from aiohttp import web

from bot.serving import start_local

SNAPSHOT = Path(__file__).with_name("snapshot.yaml")


def _when(now: datetime, entry: dict[str, Any]) -> datetime:
    return now - timedelta(hours=float(entry["hours_ago"]))


def render_rss(feed: dict[str, Any], entries: list[dict[str, Any]], now: datetime) -> str:
    items = "".join(
        f"<item><title>{escape(e['title'])}</title><link>{escape(e['link'])}</link>"
        f'<guid isPermaLink="false">{escape(e["id"])}</guid>'
        f"<pubDate>{format_datetime(_when(now, e))}</pubDate>"
        f"<description>{escape(e['summary'])}</description></item>"
        for e in entries
    )
    lang = f"<language>{feed['language']}</language>" if feed.get("language") else ""
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
        f"<title>{escape(feed['title'])}</title><link>{escape(feed['link'])}</link>{lang}"
        f"{items}</channel></rss>"
    )


def render_atom(feed: dict[str, Any], entries: list[dict[str, Any]], now: datetime) -> str:
    items = "".join(
        f"<entry><id>{escape(e['id'])}</id><title>{escape(e['title'])}</title>"
        f'<link href="{escape(e["link"])}"/><updated>{_when(now, e).isoformat()}</updated>'
        f'<summary type="html">{escape(e["summary"])}</summary></entry>'
        for e in entries
    )
    return (
        f'<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
        f"<title>{escape(feed['title'])}</title><id>{escape(feed['link'])}</id>"
        f"<updated>{now.isoformat()}</updated>{items}</feed>"
    )


def render_json(feed: dict[str, Any], entries: list[dict[str, Any]], now: datetime) -> str:
    return json.dumps(
        {
            "version": "https://jsonfeed.org/version/1.1",
            "title": feed["title"],
            "home_page_url": feed["link"],
            "items": [
                {
                    "id": e["id"],
                    "url": e["link"],
                    "title": e["title"],
                    "content_html": e["summary"],
                    "date_published": _when(now, e).isoformat(),
                }
                for e in entries
            ],
        }
    )


def render_models(models: list[dict[str, Any]], now: datetime) -> str:
    out = []
    for m in sorted(models, key=lambda m: m["hours_ago"]):
        tags = [f"license:{m['license']}", "region:us"]
        if m.get("base_model"):
            tags.append(f"base_model:{m.get('relation', 'finetune')}:{m['base_model']}")
        created = _when(now, m).isoformat().replace("+00:00", "Z")
        entry: dict[str, Any] = {
            "_id": hashlib.md5(m["id"].encode()).hexdigest()[:24],
            "id": m["id"],
            "author": m["id"].split("/")[0],
            "createdAt": created,
            "lastModified": created,
            "downloads": m.get("downloads", 0),
            "likes": m.get("likes", 0),
            "pipeline_tag": m.get("pipeline_tag"),
            "tags": tags,
            "gated": m.get("gated", False),
            "library_name": "transformers",
            "cardData": {"license": m["license"]},
        }
        if m.get("params"):
            entry["safetensors"] = {"parameters": {"BF16": m["params"]}, "total": m["params"]}
        out.append(entry)
    return json.dumps(out)


@dataclass
class DemoServer:
    """Phase 1 first; ``advance()`` reveals phase 2. Answers 304 to a matching If-None-Match."""

    now: datetime = field(default_factory=lambda: datetime.now(UTC))
    phase: int = 1
    requests: int = 0
    not_modified: int = 0
    _runner: web.AppRunner | None = None
    base_url: str = ""

    def __post_init__(self) -> None:
        self.snapshot = yaml.safe_load(SNAPSHOT.read_text(encoding="utf-8"))

    def advance(self) -> None:
        self.phase = 2

    def _body(self, path: str, query: dict[str, str]) -> tuple[str, str] | None:
        for feed in self.snapshot["feeds"]:
            if feed["path"] == path:
                entries = [e for e in feed["entries"] if e["phase"] <= self.phase]
                fmt = feed["format"]
                render = {"rss": render_rss, "atom": render_atom, "json": render_json}[fmt]
                ctype = {
                    "rss": "application/rss+xml",
                    "atom": "application/atom+xml",
                    "json": "application/feed+json",
                }[fmt]
                return render(feed, entries, self.now), ctype
        if path == "/api/models":
            for hub in self.snapshot["hub"]:
                if hub["org"] == query.get("author"):
                    models = [m for m in hub["models"] if m["phase"] <= self.phase]
                    return render_models(models, self.now), "application/json"
            return "[]", "application/json"
        return None

    async def handle(self, request: web.Request) -> web.Response:
        self.requests += 1
        found = self._body(request.path, dict(request.query))
        if found is None:
            return web.Response(status=404, text="not found")
        body, ctype = found
        etag = '"' + hashlib.sha256(body.encode()).hexdigest()[:16] + '"'
        if request.headers.get("If-None-Match") == etag:
            self.not_modified += 1
            return web.Response(status=304, headers={"ETag": etag})
        return web.Response(
            body=body.encode(),
            content_type=ctype.split(";")[0],
            charset="utf-8",
            headers={"ETag": etag},
        )

    async def start(self) -> str:
        app = web.Application()
        app.router.add_route("GET", "/{tail:.*}", self.handle)
        self._runner, port = await start_local(app)
        self.base_url = f"http://127.0.0.1:{port}"
        return self.base_url

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def sources_yaml(self) -> list[dict[str, Any]]:
        names = {
            "/qwen/index.xml": "qwen-blog",
            "/openai/rss.xml": "openai-news",
            "/technode/feed": "technode",
            "/qbitai/feed": "qbitai",
            "/federalregister/bis.rss": "us-bis-rules",
            "/techcrunch/feed": "techcrunch-ai",
            "/deepmind/feed.json": "google-deepmind-blog",
        }
        out: list[dict[str, Any]] = [
            {
                "name": names.get(f["path"], f["path"].strip("/").replace("/", "-")),
                "type": "feed",
                "url": self.base_url + f["path"],
            }
            for f in self.snapshot["feeds"]
        ]
        out += [
            {"name": f"hf-{h['org'].lower()}", "type": "huggingface", "org": h["org"]}
            for h in self.snapshot["hub"]
        ]
        return out
