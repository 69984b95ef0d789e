"""Model hubs, leaderboards, trending, webhooks and the request budget, against local servers."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.config.loader import Config, load_config
from bot.errors import FetchError
from bot.runtime.app import start_app
from bot.sources import huggingface, leaderboard, modelscope, trending
from bot.sources.budget import plan
from bot.sources.kinds.feed import FeedSource
from bot.sources.kinds.github import GithubSource
from bot.sources.kinds.huggingface import HuggingfaceSource
from bot.store.sources_repo import source_url
from tests.conftest import LocalServer

NOW = datetime(2026, 11, 25, 12, tzinfo=UTC)


def hf_model(repo: str, hours: float = 1, **extra: Any) -> dict[str, Any]:
    created = (datetime.now(UTC) - timedelta(hours=hours)).isoformat().replace("+00:00", "Z")
    return {
        "id": repo,
        "createdAt": created,
        "downloads": 10,
        "likes": 2,
        "pipeline_tag": "text-generation",
        "tags": ["license:apache-2.0", "region:us"],
        **extra,
    }


def alerts(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [r for r in map(json.loads, path.read_text().splitlines()) if r["type"] == "alert"]


@pytest.fixture
def app_for(write_config: Callable[[dict[str, Any]], Path]) -> Iterator[Callable[..., Config]]:
    """The configuration of a racewatch with these settings (``cycle`` runs it)."""

    def make(**settings: Any) -> Config:
        return load_config(write_config(settings), env={})

    yield make


async def cycle(config: Config) -> None:
    app = await start_app(config)
    try:
        await app.poll_once(force=True)
    finally:
        await app.close()


def test_hub_entries_mark_derivatives_and_ignore_placeholder_dates() -> None:
    raw = [
        hf_model("unsloth/Qwen3-8B-GGUF", tags=["base_model:quantized:Qwen/Qwen3-8B", "gguf"]),
        {
            "id": "Qwen/Qwen3-8B",
            "createdAt": "2022-03-02T23:29:04.000Z",
            "safetensors": {"total": 8_190_735_360},
            "gated": False,
            "cardData": {"license": "apache-2.0"},
        },
        {"id": "no-slash"},
        "junk",
    ]
    items = huggingface.parse_models(json.dumps(raw).encode(), "https://hf.example", NOW)
    quant, base = items
    assert (
        quant.hub
        and quant.hub.derivative == "quantized"
        and quant.hub.base_models == ("Qwen/Qwen3-8B",)
    )
    assert base.hub and base.hub.params == 8_190_735_360 and base.hub.licence == "apache-2.0"
    assert base.published_at == NOW  # the 2022 placeholder date means "unknown"


@pytest.mark.parametrize("body", [b"{not json", b'{"error": "x"}', b"[1, 2", b"null"])
def test_malformed_hub_answers_are_clear_errors(body: bytes) -> None:
    with pytest.raises(FetchError, match="Hugging Face"):
        huggingface.parse_models(body, "https://hf.example", NOW)


def test_modelscope_entries() -> None:
    doc = {
        "success": True,
        "data": {
            "models": [
                {
                    "id": "Qwen/Qwen3-8B",
                    "downloads": 5,
                    "likes": 1,
                    "license": "apache-2.0",
                    "tasks": ["text-generation"],
                    "created_at": 1745000000,
                },
                {"name": "GLM-4.5", "last_modified": "2025-07-28T10:00:00"},
            ]
        },
    }
    first, second = modelscope.parse_models(
        json.dumps(doc).encode(), "ZhipuAI", "https://ms.example", NOW
    )
    assert first.hub and first.hub.hub == "modelscope" and first.guid == "ms:Qwen/Qwen3-8B"
    assert second.hub and second.hub.repo_id == "ZhipuAI/GLM-4.5"
    with pytest.raises(FetchError, match="ModelScope answered without a model list: quota"):
        modelscope.parse_models(
            b'{"success": false, "message": "quota"}', "x", "https://ms.example", NOW
        )


def test_trending_entries() -> None:
    doc = {
        "recentlyTrending": [
            {"repoType": "model", "repoData": hf_model("moonshotai/Kimi-K2")},
            {"repoType": "dataset", "repoData": {"id": "a/b"}},
        ]
    }
    [item] = trending.parse_trending(json.dumps(doc).encode(), "https://hf.example", NOW)
    assert item.guid == "trending:moonshotai/Kimi-K2" and "#1" in item.title


def test_github_sources_watch_releases_or_tags() -> None:
    assert source_url(GithubSource(name="a", repo="QwenLM/Qwen3")).endswith("/releases.atom")
    assert source_url(GithubSource(name="b", repo="o/r", watch="tags")).endswith("/tags.atom")


def test_request_budget_stretches_hub_intervals_to_stay_inside_the_limit() -> None:
    specs = [HuggingfaceSource(name=f"hf-{i}", org=f"org{i}", interval=10) for i in range(40)]
    specs.append(FeedSource(name="blog", url="https://example.org/feed", interval=10))
    anonymous = plan(specs, 900, has_token=False)
    assert anonymous.calls_per_window <= 250.01 and anonymous.stretch > 1
    assert next(s for s in anonymous.sources if s.name == "blog").interval == 10
    assert "stretched" in anonymous.describe()
    relaxed = plan(specs[:5], 900, has_token=True)
    assert relaxed.stretch == 1.0


def board(*rows: tuple[str, str, int]) -> bytes:
    return json.dumps(
        {
            "rows": [
                {
                    "row_idx": i,
                    "row": {
                        "model_name": m,
                        "organization": o,
                        "rank": r,
                        "rating": 1500 - 10 * r,
                        "vote_count": 1000,
                        "category": "overall",
                    },
                }
                for i, (m, o, r) in enumerate(rows)
            ]
        }
    ).encode()


async def test_leaderboard_changes_alert_once(
    server: LocalServer, tmp_path: Path, app_for: Callable[..., Config]
) -> None:
    server.set(
        "/filter",
        board(
            ("gemini-2.5-pro", "Google", 1), ("gpt-5", "OpenAI", 2), ("qwen3-max", "Alibaba", 12)
        ),
    )
    settings = {
        "sources": [{"name": "arena", "type": "leaderboard", "top_n": 10}],
        "hub": {"datasets_server": server.base},
        "destinations": {"file": {"type": "jsonl", "path": str(tmp_path / "a.jsonl")}},
    }  # the shipped example rules apply, including the LMArena top-10 rule
    await cycle(app_for(**settings))
    assert alerts(tmp_path / "a.jsonl") == []  # the first standings are a baseline
    server.set(
        "/filter",
        board(("gemini-2.5-pro", "Google", 1), ("qwen3-max", "Alibaba", 2), ("gpt-5", "OpenAI", 3)),
    )
    await cycle(app_for(**settings))
    titles = [a["title"] for a in alerts(tmp_path / "a.jsonl")]
    assert any(
        "qwen3-max (Alibaba) enters the LMArena text leaderboard top 10 at #2" in t for t in titles
    )
    assert "orderby=rank" in server.queries[0] and "config=text" in server.queries[0]
    await cycle(app_for(**settings))
    assert len(alerts(tmp_path / "a.jsonl")) == len(titles)


async def test_modelscope_source_polls_the_configured_endpoint(
    server: LocalServer, tmp_path: Path, app_for: Callable[..., Config]
) -> None:
    server.set("/openapi/v1/models", json.dumps({"data": {"models": []}}))
    settings = {
        "sources": [{"name": "ms", "type": "modelscope", "org": "ZhipuAI"}],
        "hub": {"modelscope_endpoint": server.base},
        "rules": [{"name": "cn", "when": {"country": "CN"}}],
        "destinations": {"file": {"type": "jsonl", "path": str(tmp_path / "a.jsonl")}},
    }
    await cycle(app_for(**settings))
    server.set(
        "/openapi/v1/models",
        json.dumps(
            {
                "data": {
                    "models": [
                        {"id": "ZhipuAI/GLM-4.6", "license": "mit", "tasks": ["text-generation"]}
                    ]
                }
            }
        ),
    )
    await cycle(app_for(**settings))
    [alert] = alerts(tmp_path / "a.jsonl")
    assert alert["country"] == "CN" and "GLM-4.6" in alert["title"]
    assert "owner=ZhipuAI" in server.queries[-1]


async def test_webhook_push_alerts_at_once_and_polling_never_repeats_it(
    server: LocalServer,
    tmp_path: Path,
    app_for: Callable[..., Config],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HF_WEBHOOK_SECRET", "s3cret-value")
    server.set("/api/models", json.dumps([]))
    out = tmp_path / "a.jsonl"
    settings = {
        "sources": [{"name": "hf-qwen", "type": "huggingface", "org": "Qwen"}],
        "hub": {"huggingface_endpoint": server.base},
        "rules": [{"name": "cn", "when": {"country": "CN"}}],
        "server": {"enabled": True, "port": 0},
        "destinations": {"file": {"type": "jsonl", "path": str(out)}},
    }
    app = await start_app(app_for(**settings))
    try:
        await app.poll_once(force=True)  # baseline
        await app.start_server()
        url = f"http://127.0.0.1:{app.server_port}/hooks/huggingface"
        event = {
            "event": {"action": "create", "scope": "repo"},
            "repo": {"type": "model", "name": "Qwen/Qwen3-Next-80B-A3B", "tags": []},
        }
        async with aiohttp.ClientSession() as http:
            async with http.post(url, json=event, headers={"X-Webhook-Secret": "wrong"}) as r:
                assert r.status == 401
            async with http.post(
                url, json=event, headers={"X-Webhook-Secret": "s3cret-value"}
            ) as r:
                assert r.status == 202 and (await r.json())["status"] == "accepted"
            async with http.post(
                url, data=b"nope", headers={"X-Webhook-Secret": "s3cret-value"}
            ) as r:
                assert r.status == 400
        for _ in range(100):
            if alerts(out):
                break
            await asyncio.sleep(0.05)
        assert [a["title"] for a in alerts(out)] == [
            "Qwen released Qwen3-Next-80B-A3B on Hugging Face"
        ]
        server.set("/api/models", json.dumps([hf_model("Qwen/Qwen3-Next-80B-A3B")]))
        await app.poll_once(force=True)  # the poll sees the same repo: no second alert
        assert len(alerts(out)) == 1
    finally:
        await app.close()


def test_leaderboard_rows_are_validated() -> None:
    with pytest.raises(FetchError, match="no 'rows' list"):
        leaderboard.parse_rows(b"{}")
    rows = leaderboard.parse_rows(
        json.dumps({"rows": [{"row": {"model_name": "x"}}, {"row": "bad"}]}).encode()
    )
    assert rows == []
    odd = [  # a row needs a model name and a numeric rank; other odd fields read as missing
        {"model_name": "b", "rank": 2.0, "rating": "1400", "organization": 7},
        {"model_name": "a", "rank": 1, "rating": 1450.5, "vote_count": 9000},
        {"model_name": "c", "rank": True},
        {"model_name": "d", "rank": "3"},
        {"model_name": "", "rank": 4},
        {"model_name": "e", "rank": 5, "category": "coding"},
    ]
    rows = leaderboard.parse_rows(json.dumps({"rows": [{"row": r} for r in odd]}).encode())
    assert [(r.model_name, r.rank, r.rating, r.organization) for r in rows] == [
        ("a", 1, 1450.5, None),
        ("b", 2, None, None),
    ]
    board = leaderboard.board_snapshot(rows, "text", NOW.date())
    assert [(b.model, b.score, b.votes) for b in board.rows] == [("a", 1450.5, 9000)]


def test_a_pushed_repo_is_the_item_a_poll_would_make() -> None:
    """Push and poll go through one factory: same id, title and facts for one repo, so a
    webhook can never alert on what polling would have called a quantisation."""
    from bot.sources.webhook import item_from_event

    tags = ["gguf", "base_model:quantized:Qwen/Qwen3-8B", "license:apache-2.0"]
    event = {
        "event": {"action": "create", "scope": "repo"},
        "repo": {"type": "model", "name": "someone/Qwen3-8B-GGUF", "tags": tags},
    }
    pushed = item_from_event(event, "https://hf.example", NOW)
    polled = huggingface.model_to_item(
        {"id": "someone/Qwen3-8B-GGUF", "tags": tags}, "https://hf.example", NOW
    )
    assert pushed is not None and pushed == polled
    assert pushed.hub and pushed.hub.derivative == "quantized"
    assert pushed.hub.base_models == ("Qwen/Qwen3-8B",) and pushed.hub.licence == "apache-2.0"


@pytest.mark.parametrize(
    "field, value",
    [
        ("downloads", "12"),
        ("likes", True),
        ("cardData", ["not", "a", "card"]),
        ("safetensors", {"total": "8B"}),
        ("baseModels", {"relation": 3, "models": [7, {"id": "Qwen/Qwen3-8B"}]}),
        ("tags", "gguf"),
        ("gated", {"odd": 1}),
        ("createdAt", 1745000000),
    ],
)
def test_a_hub_field_of_the_wrong_type_reads_as_missing(field: str, value: Any) -> None:
    item = huggingface.model_to_item(
        {"id": "Qwen/Qwen3-8B", field: value}, "https://hf.example", NOW
    )
    assert item is not None and item.hub is not None and item.hub.repo_id == "Qwen/Qwen3-8B"
    assert item.published_at == NOW


@pytest.mark.parametrize("repo", ["", "no-slash", "a/b/c", "/b", "a/", "x" * 199 + "/y", 42])
def test_a_hub_entry_without_a_usable_repo_id_is_skipped(repo: Any) -> None:
    assert huggingface.model_to_item({"id": repo}, "https://hf.example", NOW) is None
