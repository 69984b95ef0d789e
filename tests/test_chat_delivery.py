"""Discord and Slack delivery through the real discord.py and slack_sdk clients, pointed at
local fakes: native payloads within limits, no stray pings, retries, refusals, updates."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from bot.alerts.card import AlertCard
from bot.config.loader import load_config
from bot.delivery.render_discord import alert_embed, alert_payload
from bot.delivery.render_slack import alert_message
from bot.runtime.app import start_app
from tests.conftest import LocalServer, rss
from tests.fakes import FakeDiscord, FakeSlack, Fault

CHANNEL = "111111111111111111"
INJECTIONS = [
    "@everyone",
    "@here",
    "<@&123456789012345678>",
    "<@123456789012345678>",
    "<!channel>",
    "<!here>",
    "<!subteam^S123>",
    "<@U0123>",
    "[click](javascript:alert(1))",
    "**bold** `x`",
]


@pytest.fixture(autouse=True)
def tokens(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DISCORD_TOKEN", "good-token")
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-good")


def settings(
    server: LocalServer, discord: FakeDiscord, slack: FakeSlack, tmp_path: Path, **extra: Any
) -> dict[str, Any]:
    return {
        "sources": [{"name": "news", "url": server.url("/feed.xml")}],
        "destinations": {
            "discord": {"type": "discord", "channel": CHANNEL},
            "slack": {"type": "slack", "channel": "C0RACE"},
            "admin": {"type": "jsonl", "path": str(tmp_path / "admin.jsonl")},
        },
        "admin_destination": "admin",
        "rules": [
            {
                "name": "race",
                "when": {"countries_involved": ["CN", "US"]},
                "notify": ["discord", "slack"],
            }
        ],
        "platforms": {"discord_api": discord.api, "slack_api": slack.api},
        **extra,
    }


async def run_cycles(path: Path, cycles: int = 1) -> None:
    for _ in range(cycles):
        app = await start_app(load_config(path, env={}))
        try:
            await app.poll_once(force=True)
        finally:
            await app.close()


async def prime(
    server: LocalServer, write: Callable[[dict[str, Any]], Path], cfg: dict[str, Any]
) -> Path:
    server.set("/feed.xml", rss([]))
    path = write(cfg)
    await run_cycles(path)  # baseline
    return path


async def test_hostile_titles_never_ping_anyone(
    server: LocalServer,
    discord_api: FakeDiscord,
    slack_api: FakeSlack,
    tmp_path: Path,
    write_config: Callable[[dict[str, Any]], Path],
) -> None:
    path = await prime(server, write_config, settings(server, discord_api, slack_api, tmp_path))
    entries = [
        {
            "title": f"Alibaba releases Qwen3 {bad} model",
            "guid": f"g{i}",
            "link": f"https://example.com/{i}",
            "summary": f"DeepSeek and OpenAI {bad} respond.",
        }
        for i, bad in enumerate(INJECTIONS)
    ]
    server.set("/feed.xml", rss(entries))
    await run_cycles(path)
    assert discord_api.posts and slack_api.posts
    for post in discord_api.posts:
        assert (
            post["allowed_mentions"] == {"parse": [], "replied_user": False, "roles": []}
            or post["allowed_mentions"]["parse"] == []
        )
        text = json.dumps(post["embeds"], ensure_ascii=False) + (post.get("content") or "")
        assert "@everyone" not in text and "@here" not in text and "<@" not in text
    for post in slack_api.posts:
        text = json.dumps(post, ensure_ascii=False)
        for mention in ("<!channel>", "<!here>", "<!subteam^", "<@U0123>"):
            assert mention not in text
        assert post["link_names"] in (False, "0", 0, "false")
        assert "javascript:" not in json.dumps(post.get("blocks"))


async def test_discord_and_slack_get_native_payloads_once_despite_429s(
    server: LocalServer,
    discord_api: FakeDiscord,
    slack_api: FakeSlack,
    tmp_path: Path,
    write_config: Callable[[dict[str, Any]], Path],
) -> None:
    path = await prime(server, write_config, settings(server, discord_api, slack_api, tmp_path))
    discord_api.faults = [
        Fault(
            429,
            {"message": "You are being rate limited.", "retry_after": 0.2, "global": False},
            {"Retry-After": "1", "X-RateLimit-Scope": "user", "Via": "1.1 google"},
        )
    ]
    slack_api.faults = [Fault(429, {"ok": False, "error": "ratelimited"}, {"Retry-After": "1"})]
    server.set(
        "/feed.xml",
        rss(
            [
                {
                    "title": "Kuaishou launches Kling 2.1 to rival OpenAI's Sora",
                    "guid": "k",
                    "link": "https://technode.com/kling",
                    "summary": "Kling 2.1 makes 1080p video from text prompts.",
                }
            ]
        ),
    )
    await run_cycles(path, cycles=2)
    [discord_post] = discord_api.posts
    embed = discord_post["embeds"][0]
    assert embed["title"].startswith("🇨🇳 Kuaishou launches Kling 2.1")
    assert embed["color"] == 0xDE2910 and embed["url"] == "https://technode.com/kling"
    assert {f["name"] for f in embed["fields"]} >= {"Organisation", "Kind"}
    assert discord_post["nonce"].startswith("rw-")
    [slack_post] = slack_api.posts
    kinds = [b["type"] for b in slack_post["blocks"]]
    assert kinds[:2] == ["header", "section"] and "actions" in kinds and "context" in kinds
    assert slack_post["text"].startswith("🇨🇳 Kuaishou launches Kling 2.1")
    assert discord_api.hits == 2 and slack_api.hits == 2  # one 429 each, then one success


async def test_a_refused_channel_marks_the_destination_broken_and_tells_the_admin(
    server: LocalServer,
    discord_api: FakeDiscord,
    slack_api: FakeSlack,
    tmp_path: Path,
    write_config: Callable[[dict[str, Any]], Path],
) -> None:
    slack_api.channels.clear()
    path = await prime(server, write_config, settings(server, discord_api, slack_api, tmp_path))
    server.set(
        "/feed.xml",
        rss(
            [
                {
                    "title": "DeepSeek releases V3.2 open-weights model",
                    "guid": "d",
                    "link": "https://api-docs.deepseek.com/news/v32",
                }
            ]
        ),
    )
    await run_cycles(path, cycles=3)
    assert len(discord_api.posts) == 1 and slack_api.posts == []
    assert slack_api.hits == 1  # refused once, never retried
    notices = [json.loads(line) for line in (tmp_path / "admin.jsonl").read_text().splitlines()]
    assert any("slack" in n["text"] and "channel_not_found" in n["text"] for n in notices)


async def test_later_coverage_goes_into_the_alert_thread(
    server: LocalServer,
    discord_api: FakeDiscord,
    slack_api: FakeSlack,
    tmp_path: Path,
    write_config: Callable[[dict[str, Any]], Path],
) -> None:
    from sqlalchemy import text

    path = await prime(server, write_config, settings(server, discord_api, slack_api, tmp_path))
    first = {
        "title": "Alibaba releases Qwen3 open-weights models",
        "guid": "a",
        "link": "https://qwenlm.github.io/blog/qwen3/",
    }
    server.set("/feed.xml", rss([first]))
    await run_cycles(path)
    server.set("/feed2.xml", rss([]))
    cfg = settings(server, discord_api, slack_api, tmp_path)
    cfg["sources"].append({"name": "press", "url": server.url("/feed2.xml")})
    path = write_config(cfg)
    await run_cycles(path)  # baseline of the new source
    server.set(
        "/feed2.xml",
        rss(
            [
                {
                    "title": "Alibaba unveils Qwen3, a family of open models",
                    "guid": "b",
                    "link": "https://techcrunch.com/qwen3",
                }
            ]
        ),
    )
    app = await start_app(load_config(path, env={}))
    try:
        await app.poll_once(force=True)
        assert app.sessions is not None
        with app.sessions.begin() as session:
            session.execute(
                text("UPDATE deliveries SET next_attempt_at = :t"), {"t": datetime(2020, 1, 1)}
            )
        assert app.outbox is not None
        await app.outbox.drain()
    finally:
        await app.close()
    alert, update = slack_api.posts
    assert update["thread_ts"] == alert["ts"] and "Also reported by press" in update["text"]
    d_alert, d_update = discord_api.posts
    assert str(d_update["message_reference"]["message_id"]) == d_alert["id"]


def test_payloads_stay_within_platform_limits_for_any_card() -> None:
    huge = "word " * 5000
    card = AlertCard(
        story_id=1,
        item_id=1,
        title=huge,
        url="https://e.com/" + "a" * 1500,
        summary=huge,
        country="CN",
        flag="🇨🇳",
        org=huge[:500],
        kind="model_release",
        facts=tuple((f"Fact {i} " + huge[:300], huge) for i in range(40)),
        source=huge[:300],
        published_at=datetime(2026, 1, 1, tzinfo=UTC),
        links=(("Open", "https://e.com"),),
        rule="r" * 80,
        mentions=("role:123", "subteam:S1"),
        also_reported=tuple(["x" * 200] * 20),
    )
    embed = alert_embed(card)
    assert len(embed["title"]) <= 256 and len(embed.get("description", "")) <= 4096
    assert len(embed["fields"]) <= 25 and all(
        len(f["value"]) <= 1024 and len(f["name"]) <= 256 for f in embed["fields"]
    )
    total = (
        len(embed["title"])
        + len(embed.get("description", ""))
        + len(embed["footer"]["text"])
        + sum(len(f["name"]) + len(f["value"]) for f in embed["fields"])
    )
    assert total <= 6000
    assert not embed["title"].rstrip("…").endswith("wor")  # cut between words, not inside one
    assert alert_payload(card)["allowed_mentions"]["roles"] == ["123"]
    message = alert_message(card)
    assert len(message["blocks"]) <= 50 and len(message["text"]) <= 3000
    for block in message["blocks"]:
        if block["type"] == "header":
            assert len(block["text"]["text"]) <= 150
        if block["type"] == "section" and "text" in block:
            assert len(block["text"]["text"]) <= 3000
        if block["type"] == "section" and "fields" in block:
            assert len(block["fields"]) <= 10 and all(
                len(f["text"]) <= 2000 for f in block["fields"]
            )
    assert len(json.dumps(message["blocks"])) < 13000


GOLDEN = Path(__file__).parent / "data" / "golden"


def golden_card() -> AlertCard:
    return AlertCard(
        story_id=7,
        item_id=42,
        title="Moonshot AI releases Kimi K2, a trillion-parameter open-weights model",
        url="https://technode.com/2025/07/11/moonshot-kimi-k2/",
        summary="Beijing-based Moonshot AI open-sourced Kimi K2, a mixture-of-experts model with 1 trillion "
        "total parameters. The weights are on Hugging Face under a modified MIT license.",
        country="CN",
        flag="🇨🇳",
        org="Moonshot AI",
        kind="model_release",
        facts=(
            ("Organisation", "🇨🇳 Moonshot AI, China"),
            ("Kind", "model release"),
            ("Parameters", "1T"),
            ("Weights", "open (MIT)"),
        ),
        source="technode",
        published_at=datetime(2025, 7, 11, 8, 30, tzinfo=UTC),
        links=(("Open", "https://technode.com/2025/07/11/moonshot-kimi-k2/"),),
        rule="chinese-open-weights-llms",
        also_reported=("qbitai",),
    )


@pytest.mark.parametrize(
    ("name", "render"), [("discord_alert.json", alert_payload), ("slack_alert.json", alert_message)]
)
def test_payloads_match_the_golden_files(
    name: str, render: Callable[[AlertCard], dict[str, Any]]
) -> None:
    expected = json.loads((GOLDEN / name).read_text(encoding="utf-8"))
    assert render(golden_card()) == expected


async def test_doctor_says_what_to_fix(
    discord_api: FakeDiscord, slack_api: FakeSlack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import asyncio
    import subprocess
    import sys

    import yaml

    slack_api.scopes = "chat:write"
    cfg = {
        "default_sources": False,
        "destinations": {
            "discord": {"type": "discord", "channel": CHANNEL},
            "lost": {"type": "discord", "channel": "222222222222222222"},
            "slack": {"type": "slack", "channel": "C0RACE"},
        },
        "platforms": {"discord_api": discord_api.api, "slack_api": slack_api.api},
    }
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump(cfg))
    result = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "bot", "-c", str(path), "doctor"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1
    assert "✔ discord (discord)" in result.stdout
    assert "✘ lost (discord)" in result.stdout and "unknown channel" in result.stdout
    assert "✘ slack (slack)" in result.stdout and "channels:history" in result.stdout


async def test_one_refused_message_never_breaks_the_destination(
    server: LocalServer,
    discord_api: FakeDiscord,
    slack_api: FakeSlack,
    tmp_path: Path,
    write_config: Callable[[dict[str, Any]], Path],
) -> None:
    """Discord's "Invalid Form Body" (50035) and Slack's invalid_blocks are about one
    message: it is dropped with an admin note, and the next alert goes out as usual."""
    path = await prime(server, write_config, settings(server, discord_api, slack_api, tmp_path))
    discord_api.faults = [
        Fault(400, {"message": "Invalid Form Body", "code": 50035, "errors": {}}, {})
    ]
    slack_api.faults = [Fault(200, {"ok": False, "error": "invalid_blocks"}, {})]
    first = {
        "title": "DeepSeek releases V3.2 open-weights model",
        "guid": "a",
        "link": "https://example.com/a",
    }
    server.set("/feed.xml", rss([first]))
    await run_cycles(path, cycles=2)
    assert discord_api.posts == [] and slack_api.posts == []
    second = {
        "title": "Moonshot AI releases Kimi K3, an open-weights model",
        "guid": "b",
        "link": "https://example.com/b",
    }
    server.set("/feed.xml", rss([first, second]))
    await run_cycles(path, cycles=2)
    assert len(discord_api.posts) == 1 and "Kimi K3" in json.dumps(discord_api.posts[0])
    assert len(slack_api.posts) == 1 and "Kimi K3" in json.dumps(slack_api.posts[0])
    notices = [json.loads(line) for line in (tmp_path / "admin.jsonl").read_text().splitlines()]
    texts = " ".join(n["text"] for n in notices)
    assert "refused one alert" in texts and "keeps working" in texts
    assert "is broken" not in texts
