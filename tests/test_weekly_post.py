"""The weekly state-of-the-race post: composed from the store, native on each platform
(an embed with the chart attached on Discord, Block Kit and an uploaded chart on Slack),
and sent once per destination and week."""

from __future__ import annotations

import asyncio
import io
import json
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from bot.boards import BoardRow, BoardSnapshot
from bot.config.loader import load_config
from bot.runtime.app import start_app
from bot.store import boards_repo
from tests.conftest import LocalServer, rss
from tests.fakes import FakeDiscord, FakeSlack

CHANNEL = "111111111111111111"


@pytest.fixture
async def discord_fake() -> AsyncIterator[FakeDiscord]:
    fake = FakeDiscord()
    await fake.start()
    yield fake
    await fake.stop()


@pytest.fixture
async def slack_fake() -> AsyncIterator[FakeSlack]:
    fake = FakeSlack()
    await fake.start()
    yield fake
    await fake.stop()


def news() -> list[dict[str, Any]]:
    items = [
        ("Alibaba releases Qwen3-Max, an open-weights reasoning model", timedelta(days=2)),
        ("OpenAI releases GPT-5.1 to all ChatGPT users", timedelta(days=1)),
        ("US Commerce Department tightens AI chip export controls on China", timedelta(days=3)),
        ("DeepSeek open-sources DeepSeek-V3 under the MIT licence", timedelta(days=20)),
    ]
    return [
        {"title": t, "guid": f"g{n}", "link": f"https://news.example/{n}", "age": age}
        for n, (t, age) in enumerate(items)
    ]


async def test_the_weekly_post_is_native_and_sent_once(
    server: LocalServer,
    tmp_path: Path,
    write_config: Callable[[dict[str, Any]], Path],
    monkeypatch: pytest.MonkeyPatch,
    discord_fake: FakeDiscord,
    slack_fake: FakeSlack,
) -> None:
    monkeypatch.setenv("DISCORD_TOKEN", "good-token")
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-good")
    server.set("/feed.xml", rss([]))
    path = write_config(
        {
            "sources": [{"name": "news", "url": server.url("/feed.xml")}],
            "destinations": {
                "discord": {"type": "discord", "channel": CHANNEL},
                "slack": {"type": "slack", "channel": "C0RACE"},
                "file": {"type": "jsonl", "path": str(tmp_path / "out.jsonl")},
            },
            "platforms": {"discord_api": discord_fake.api, "slack_api": slack_fake.api},
            "state_of_the_race": {"enabled": True},
            "poll": {"allow_private_networks": True},
        }
    )
    app = await start_app(load_config(path, env={}))
    try:
        await app.poll_once(force=True)  # the silent baseline
        server.set("/feed.xml", rss(news()))
        await app.poll_once(force=True)
        assert app.sessions is not None and app.poller is not None
        today = datetime.now(UTC).date()
        with app.sessions.begin() as session:
            for back, us, cn in ((14, 1460.0, 1420.0), (7, 1461.0, 1430.0), (0, 1462.0, 1450.0)):
                rows = (
                    BoardRow("gemini-3-pro", us, "Google"),
                    BoardRow("qwen3-max", cn, "Alibaba"),
                )
                snapshot = BoardSnapshot("text", today - timedelta(days=back), rows)
                boards_repo.save_snapshot(session, snapshot, app.poller.resolve_board_row)
        outcomes = await app.weekly_post().send()
        again = await app.weekly_post().send()
    finally:
        await app.close()
    assert outcomes == {"discord": "sent", "slack": "sent", "file": "sent"}
    assert again == {"discord": "already sent", "slack": "already sent", "file": "already sent"}

    [post] = [p for p in discord_fake.posts if p.get("embeds") and "files" in p]
    embed = post["embeds"][0]
    assert embed["title"].startswith("State of the race, week of")
    fields = {f["name"]: f["value"] for f in embed["fields"]}
    gap = fields["Capability gap (LMArena, best US model against best Chinese model)"]
    assert "the US leads by 12 points" in gap and "narrowed by 19 this week" in gap
    assert "Qwen3-Max" in fields["Notable releases"] and "GPT-5.1" in fields["Notable releases"]
    assert "DeepSeek-V3" not in json.dumps(fields)  # twenty days old: not this week
    assert "export controls" in fields["Policy"]
    assert sum(len(v) for v in fields.values()) + len(embed["title"]) < 6000
    [(name, png)] = post["files"].items()
    assert embed["image"]["url"] == f"attachment://{name}"
    assert Image.open(io.BytesIO(png)).size == (900, 450)
    assert post["allowed_mentions"]["parse"] == [] and not post["allowed_mentions"]["roles"]

    [message] = [p for p in slack_fake.posts if "State of the race" in str(p.get("text"))]
    blocks = (
        message["blocks"] if isinstance(message["blocks"], list) else json.loads(message["blocks"])
    )
    assert blocks[0]["type"] == "header" and len(blocks) == 5
    assert all(len(b["text"]["text"]) <= 3000 for b in blocks[1:])
    async with asyncio.timeout(10):
        while not slack_fake.shared:
            await asyncio.sleep(0.02)
    assert Image.open(io.BytesIO(next(iter(slack_fake.files.values())))).size == (900, 450)

    records = [json.loads(x) for x in (tmp_path / "out.jsonl").read_text().splitlines()]
    [report] = [r for r in records if r["type"] == "report"]
    assert report["key"].startswith("state-of-the-race:") and report["image_bytes"] > 1000


@pytest.mark.slow
def test_the_post_is_off_by_default_and_one_line_enables_it(tmp_path: Path) -> None:
    path = tmp_path / "racewatch.yaml"
    path.write_text("default_sources: false\n", encoding="utf-8")
    assert load_config(path, env={}).settings.state_of_the_race.enabled is False
    path.write_text(
        "default_sources: false\nstate_of_the_race: {enabled: true}\n", encoding="utf-8"
    )
    report = load_config(path, env={}).settings.state_of_the_race
    assert report.enabled and report.cron == "0 8 * * 1"
