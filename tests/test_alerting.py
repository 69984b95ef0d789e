"""One alert per story, updates for later coverage, digests, caps, quiet hours, why, LLM."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from sqlalchemy import text

from bot.config.loader import load_config
from bot.runtime.app import App, start_app
from tests.conftest import LocalServer, rss

QWEN = {
    "title": "Alibaba releases Qwen3 open-weights models",
    "guid": "q1",
    "link": "https://qwenlm.github.io/blog/qwen3/",
    "summary": "Qwen3 comes in eight sizes.",
}
QWEN_ELSEWHERE = {
    "title": "Alibaba unveils Qwen3, a family of open models",
    "guid": "q2",
    "link": "https://techcrunch.com/qwen3",
    "summary": "Chinese tech giant Alibaba released Qwen3.",
}
KIMI = {
    "title": "Moonshot AI releases Kimi K2 open-weights model",
    "guid": "k",
    "link": "https://technode.com/kimi-k2",
    "summary": "Kimi K2 has one trillion parameters and its weights are on Hugging Face.",
}
GLM = {
    "title": "Zhipu AI launches GLM-4.5 open-weights model",
    "guid": "g",
    "link": "https://technode.com/glm-4-5",
}


def records(path: Path, kind: str | None = None) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    return [r for r in rows if kind is None or r["type"] == kind]


class Bench:
    """Two local feeds, a JSONL destination and a config writer, reused by each test."""

    def __init__(
        self, server: LocalServer, tmp_path: Path, write: Callable[[dict[str, Any]], Path]
    ):
        self.server, self.out, self.write = server, tmp_path / "out.jsonl", write
        server.set("/a.xml", rss([]))
        server.set("/b.xml", rss([]))

    def settings(self, rules: list[dict[str, Any]], **extra: Any) -> Path:
        return self.write(
            {
                "sources": [
                    {"name": "blog", "url": self.server.url("/a.xml")},
                    {"name": "press", "url": self.server.url("/b.xml")},
                ],
                "destinations": {"file": {"type": "jsonl", "path": str(self.out)}},
                "rules": rules,
                **extra,
            }
        )

    async def cycle(self, path: Path, digests: bool = False) -> App:
        app = await start_app(load_config(path, env={}))
        try:
            await app.poll_once(force=True)
            if digests:
                await app.send_all_digests()
        finally:
            await app.close()
        return app


async def test_later_coverage_becomes_one_update_not_a_new_alert(
    server: LocalServer, tmp_path: Path, write_config: Callable[[dict[str, Any]], Path]
) -> None:
    bench = Bench(server, tmp_path, write_config)
    path = bench.settings([{"name": "cn", "when": {"country": "CN"}}])
    await bench.cycle(path)
    server.set("/a.xml", rss([QWEN]))
    await bench.cycle(path)
    assert [a["title"] for a in records(bench.out, "alert")] == [QWEN["title"]]
    server.set("/b.xml", rss([QWEN_ELSEWHERE]))
    app = await bench.cycle(path)
    assert app.sessions is not None
    with app.sessions.begin() as session:  # updates wait a minute to gather a burst of coverage
        session.execute(
            text("UPDATE deliveries SET next_attempt_at = :t WHERE kind = 'update'"),
            {"t": datetime.now(UTC).replace(tzinfo=None) - timedelta(seconds=1)},
        )
    await bench.cycle(path)
    assert len(records(bench.out, "alert")) == 1
    [update] = records(bench.out, "update")
    assert update["text"] == "Also reported by press"


async def test_digest_rules_hold_alerts_until_the_digest(
    server: LocalServer, tmp_path: Path, write_config: Callable[[dict[str, Any]], Path]
) -> None:
    bench = Bench(server, tmp_path, write_config)
    path = bench.settings(
        [
            {
                "name": "morning",
                "when": {"country": "CN"},
                "mode": "digest",
                "digest": "0 9 * * *",
                "timezone": "Asia/Shanghai",
            }
        ]
    )
    await bench.cycle(path)
    server.set("/a.xml", rss([QWEN, KIMI]))
    await bench.cycle(path)
    assert records(bench.out) == []
    await bench.cycle(path, digests=True)
    [digest] = records(bench.out, "digest")
    assert digest["rule"] == "morning" and len(digest["alerts"]) == 2
    await bench.cycle(path, digests=True)
    assert len(records(bench.out, "digest")) == 1  # nothing is sent twice


async def test_a_cap_rolls_the_overflow_into_a_digest(
    server: LocalServer, tmp_path: Path, write_config: Callable[[dict[str, Any]], Path]
) -> None:
    bench = Bench(server, tmp_path, write_config)
    path = bench.settings([{"name": "cn", "when": {"country": "CN"}, "cap_per_hour": 1}])
    await bench.cycle(path)
    server.set("/a.xml", rss([QWEN, KIMI, GLM]))
    await bench.cycle(path)
    assert len(records(bench.out, "alert")) == 1
    await bench.cycle(path, digests=True)
    [digest] = records(bench.out, "digest")
    assert len(digest["alerts"]) == 2


async def test_quiet_hours_delay_alerts_but_not_high_priority_ones(
    server: LocalServer, tmp_path: Path, write_config: Callable[[dict[str, Any]], Path]
) -> None:
    now = datetime.now(UTC)
    window = f"{(now - timedelta(hours=1)):%H:00}-{(now + timedelta(hours=2)):%H:00}"
    bench = Bench(server, tmp_path, write_config)
    path = bench.settings(
        [
            {"name": "quiet", "when": {"org": "moonshot"}, "quiet_hours": window},
            {"name": "urgent", "when": {"org": "zhipu"}, "quiet_hours": window, "priority": "high"},
        ]
    )
    await bench.cycle(path)
    server.set("/a.xml", rss([KIMI, GLM]))
    await bench.cycle(path)
    assert [a["title"] for a in records(bench.out, "alert")] == [GLM["title"]]


async def test_why_explains_every_stage(
    server: LocalServer, tmp_path: Path, write_config: Callable[[dict[str, Any]], Path]
) -> None:
    bench = Bench(server, tmp_path, write_config)
    path = bench.settings(
        [{"name": "cn", "when": {"country": "CN"}}, {"name": "us-only", "when": {"country": "US"}}]
    )
    await bench.cycle(path)
    server.set("/a.xml", rss([QWEN]))
    await bench.cycle(path)
    result = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "bot", "-c", str(path), "why", QWEN["link"] + "?utm_source=x"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    for heading in ("Fetched", "Classified", "Story", "Rules", "Delivered"):
        assert heading in out
    assert "✔ cn" in out and "✘ us-only: country is CN, not US" in out
    assert "alert to 'file' by rule cn: sent" in out
    tested = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "bot", "-c", str(path), "rules", "test"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert "cn: would fire on 1" in tested.stdout and "us-only: would fire on 0" in tested.stdout


@pytest.mark.slow
def test_rule_errors_name_the_rule(tmp_path: Path) -> None:
    path = tmp_path / "r.yaml"
    path.write_text(
        "rules:\n  - name: cn-models\n    when: {contry: CN}\n    digest: 'every day'\n"
    )
    result = subprocess.run(
        [sys.executable, "-m", "bot", "config", "check", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert "rule 'cn-models' when.contry" in result.stderr
    assert "not a valid cron schedule" in result.stderr


async def test_a_broken_rules_file_on_reload_keeps_the_rules_in_force(
    tmp_path: Path, write_config: Callable[[dict[str, Any]], Path]
) -> None:
    cn = {"name": "cn", "when": {"country": "CN"}}
    path = write_config({"rules": [cn]})
    app = await start_app(load_config(path, env={}))
    try:
        write_config({"rules": [cn, {"name": "broken", "when": {"contry": "US"}}]})
        assert app.reload_rules() is False
        assert [r.name for r in app.config.rules] == ["cn"]
        write_config({"rules": [cn, {"name": "fixed", "when": {"country": "US"}}]})
        assert app.reload_rules() is True
        assert [r.name for r in app.config.rules] == ["cn", "fixed"]
    finally:
        await app.close()


async def test_llm_summaries_are_used_when_ready_and_never_required(
    server: LocalServer,
    tmp_path: Path,
    write_config: Callable[[dict[str, Any]], Path],
    monkeypatch: Any,
) -> None:
    async def completions(request: web.Request) -> web.Response:
        body = await request.json()
        assert body["model"] == "tiny" and request.headers["Authorization"] == "Bearer k-123"
        return web.json_response({"choices": [{"message": {"content": "Alibaba shipped Qwen3."}}]})

    server.set("/v1/chat/completions", handler=completions)
    monkeypatch.setenv("RACEWATCH_LLM_API_KEY", "k-123")
    bench = Bench(server, tmp_path, write_config)
    path = bench.settings(
        [{"name": "cn", "when": {"country": "CN"}}],
        llm={"enabled": True, "base_url": server.url("/v1"), "model": "tiny"},
    )
    app = await start_app(load_config(path, env={}))
    try:
        assert app.summariser is not None and app.sessions is not None
        server.set("/a.xml", rss([QWEN]))
        outcomes = await app.poll_once(force=True)
        ids = [i for o in outcomes for i in o.alerted]
        assert ids == []  # the first poll is a baseline
        server.set("/a.xml", rss([QWEN, KIMI]))
        outcomes = await app.poll_once(force=True)
        ids = [i for o in outcomes for i in o.alerted]
        assert await app.summariser.summarise_items(ids) == 1
        with app.sessions.begin() as session:
            stored = session.execute(
                text("SELECT summary_llm FROM items WHERE id = :i"),
                {"i": ids[0]},
            ).scalar()
        assert stored == "Alibaba shipped Qwen3."
        server.routes.pop("/v1/chat/completions")  # the model goes away: nothing breaks
        assert await app.summariser.summarise_items(ids) == 0
    finally:
        await app.close()
    [alert] = records(bench.out, "alert")
    assert alert["summary"].startswith("Kimi K2 has one trillion")  # sent before the answer
