"""/race on Slack (a real Bolt async app dispatching signed requests) and on Discord (the real
app-commands tree with an interaction built from Discord's payload), against local fakes."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import io
import json
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import discord
import pytest
from PIL import Image
from slack_bolt.request.async_request import AsyncBoltRequest

from bot.chat.discord_app import RaceBot
from bot.chat.slack_app import admin_checker, build_app
from bot.commands.chart import weekly_chart
from bot.config.loader import load_config
from bot.delivery.discord_sender import use_api
from bot.delivery.slack_sender import web_client
from bot.runtime.app import App, start_app
from tests.conftest import LocalServer, rss, slack_api
from tests.fakes import FakeDiscord, FakeSlack

__all__ = ["slack_api"]  # the conftest fixture, re-exported: other modules import it from here

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
ITEMS = [
    {
        "title": "Moonshot AI releases Kimi K2 open-weights model",
        "guid": "k",
        "link": "https://kimi.ai/k2",
        "summary": "Kimi K2 has one trillion parameters.",
    },
    {
        "title": "Kuaishou launches Kling 2.1 video model to rival OpenAI's Sora",
        "guid": "s",
        "link": "https://technode.com/kling",
    },
    {
        "title": "OpenAI introduces GPT-5 for ChatGPT users",
        "guid": "g",
        "link": "https://openai.com/gpt-5",
    },
]


@pytest.fixture
async def app(
    server: LocalServer, tmp_path: Path, write_config: Callable[[dict[str, Any]], Path]
) -> AsyncIterator[App]:
    server.set("/feed.xml", rss([]))
    path = write_config(
        {
            "sources": [{"name": "news", "url": server.url("/feed.xml")}],
            "destinations": {"file": {"type": "jsonl", "path": str(tmp_path / "a.jsonl")}},
            "rules": [{"name": "all", "when": {"countries_involved": ["CN", "US"]}}],
        }
    )
    instance = await start_app(load_config(path, env={}))
    await instance.poll_once(force=True)
    server.set("/feed.xml", rss(ITEMS))
    await instance.poll_once(force=True)
    yield instance
    await instance.close()


def signed(body: str, secret: str = SECRET, age: float = 0) -> AsyncBoltRequest:
    ts = str(int(time.time() - age))
    digest = hmac.new(secret.encode(), f"v0:{ts}:{body}".encode(), hashlib.sha256).hexdigest()
    headers = {
        "content-type": ["application/x-www-form-urlencoded"],
        "x-slack-request-timestamp": [ts],
        "x-slack-signature": [f"v0={digest}"],
    }
    return AsyncBoltRequest(body=body, headers=headers)


def command_body(slack: FakeSlack, text: str, user: str = "U1", n: int = 1) -> str:
    return urlencode(
        {
            "token": "x",
            "team_id": "T1",
            "channel_id": "C0RACE",
            "user_id": user,
            "command": "/race",
            "text": text,
            "response_url": f"{slack.base}/respond/{n}",
            "trigger_id": "1.2.3",
        }
    )


async def slack_says(bolt: Any, slack: FakeSlack, text: str, user: str = "U1") -> dict[str, Any]:
    before = len(slack.responses)
    response = await bolt.async_dispatch(signed(command_body(slack, text, user)))
    assert response.status == 200  # acknowledged at once
    async with asyncio.timeout(20):
        while len(slack.responses) == before:
            await asyncio.sleep(0.02)
    return slack.responses[-1]


def bolt_for(app: App, slack: FakeSlack) -> Any:
    return build_app(
        app.commands(),
        signing_secret=SECRET,
        client=web_client("xoxb-good", slack.api),
        command="race",
        is_admin=admin_checker(["UADMIN"], ["SADMINS"]),
        response_origins=[slack.base],
    )


async def test_slack_answers_reading_commands(app: App, slack_api: FakeSlack) -> None:
    bolt = bolt_for(app, slack_api)
    latest = await slack_says(bolt, slack_api, "latest CN 5")
    text = json.dumps(latest["blocks"], ensure_ascii=False)
    assert latest["response_type"] == "in_channel" and "Kimi K2" in text and "GPT-5" not in text
    found = await slack_says(bolt, slack_api, "search kimi")
    assert "Kimi K2" in json.dumps(found["blocks"], ensure_ascii=False)
    org = await slack_says(bolt, slack_api, "org kuaishou")
    assert "Kuaishou" in json.dumps(org["blocks"], ensure_ascii=False)
    wrong = await slack_says(bolt, slack_api, "latets CN")
    assert wrong["response_type"] == "ephemeral" and "Unknown command 'latets'" in wrong["text"]
    assert "Usage" in wrong["text"]


async def test_slack_gap_posts_the_chart(app: App, slack_api: FakeSlack) -> None:
    bolt = bolt_for(app, slack_api)
    gap = await slack_says(bolt, slack_api, "gap 30d")
    assert "CN: " in json.dumps(gap["blocks"], ensure_ascii=False)
    async with asyncio.timeout(20):
        while not slack_api.shared:
            await asyncio.sleep(0.02)
    png = next(iter(slack_api.files.values()))
    assert Image.open(io.BytesIO(png)).size == (800, 400)


async def test_rules_from_chat_are_admin_only_and_validated_like_file_rules(
    app: App, slack_api: FakeSlack
) -> None:
    bolt = bolt_for(app, slack_api)
    refused = await slack_says(
        bolt, slack_api, "watch add cn-video country=CN modality=video_gen", user="U1"
    )
    assert refused["response_type"] == "ephemeral" and "only racewatch admins" in refused["text"]
    typo = await slack_says(bolt, slack_api, "watch add cn-video contry=CN", user="UADMIN")
    assert "unknown field 'contry'" in typo["text"] and "did you mean 'country'?" in typo["text"]
    added = await slack_says(
        bolt, slack_api, "watch add cn-video country=CN modality=video_gen", user="UADMIN2"
    )  # an admin through the SADMINS user group
    assert "Rule added" in json.dumps(added["blocks"])
    listed = await slack_says(bolt, slack_api, "watch list")
    assert "cn-video" in json.dumps(listed["blocks"], ensure_ascii=False)
    assert "cn-video" in [r.name for r in app.rules_in_force()[0]]
    dry = await slack_says(bolt, slack_api, "watch test country=CN")  # not an admin
    assert "only racewatch admins" in dry["text"]
    tested = await slack_says(bolt, slack_api, "watch test country=CN", user="UADMIN")
    assert "Would fire on 2" in json.dumps(tested["blocks"], ensure_ascii=False)


async def test_private_addresses_cannot_be_added_from_chat(app: App, slack_api: FakeSlack) -> None:
    bolt = bolt_for(app, slack_api)
    refused = await slack_says(
        bolt, slack_api, "sources add intranet http://127.0.0.1:8080/feed", user="UADMIN"
    )
    assert "not a public internet address" in refused["text"]
    bad = await slack_says(bolt, slack_api, "sources add x ftp://example.com/feed", user="UADMIN")
    assert "http" in bad["text"]


async def test_slack_rejects_bad_signatures_and_stale_timestamps(
    app: App, slack_api: FakeSlack
) -> None:
    bolt = bolt_for(app, slack_api)
    body = command_body(slack_api, "latest")
    assert (await bolt.async_dispatch(signed(body, secret="wrong"))).status == 401
    assert (await bolt.async_dispatch(signed(body, age=6 * 60))).status == 401
    assert slack_api.responses == []


def test_the_chart_shows_both_series() -> None:
    from datetime import UTC, datetime, timedelta

    weeks = [datetime(2026, 1, 5, tzinfo=UTC) + timedelta(days=7 * i) for i in range(8)]
    png = weekly_chart(
        weeks, {"CN": [1, 3, 2, 5, 4, 6, 7, 8], "US": [2, 2, 3, 3, 4, 4, 5, 5]}, "test"
    )
    image = Image.open(io.BytesIO(png)).convert("RGB")
    assert image.size == (800, 400)
    colours = {c for _, c in image.getcolors(800 * 400) or []}
    assert any(r > 200 and g < 80 and b < 80 for r, g, b in colours)  # China's red line
    assert any(b > 90 and r < 90 and g < 90 for r, g, b in colours)  # the US's blue line


@pytest.fixture
async def discord_api() -> AsyncIterator[FakeDiscord]:
    fake = FakeDiscord()
    await fake.start()
    use_api(fake.api)
    yield fake
    await fake.stop()


def interaction_payload(
    sub: str,
    options: list[dict[str, Any]],
    permissions: str = "0",
    *,
    command: str = "race",
    group: bool = False,
    roles: list[str] | None = None,
) -> dict[str, Any]:
    user = {"id": "900", "username": "analyst", "discriminator": "0", "avatar": None}
    return {
        "id": "1000",
        "application_id": "42",
        "type": 2,
        "token": "itoken",
        "version": 1,
        "channel_id": "111111111111111111",
        "guild_id": "7",
        "locale": "en-US",
        "guild_locale": "en-US",
        "app_permissions": "0",
        "attachment_size_limit": 10485760,
        "context": 0,
        "entitlements": [],
        "authorizing_integration_owners": {},
        "member": {
            "user": user,
            "roles": roles or [],
            "permissions": permissions,
            "joined_at": "2025-01-01T00:00:00+00:00",
            "deaf": False,
            "mute": False,
            "flags": 0,
        },
        "data": {
            "id": "99",
            "name": command,
            "type": 1,
            "options": [{"type": 2 if group else 1, "name": sub, "options": options}],
        },
    }


async def test_discord_app_commands_defer_then_answer(app: App, discord_api: FakeDiscord) -> None:
    bot = RaceBot(app.commands(), "race", admin_role=None)
    await bot.login("good-token")
    try:
        payload = interaction_payload("latest", [{"type": 3, "name": "country", "value": "CN"}])
        await bot.tree._call(discord.Interaction(data=payload, state=bot._connection))  # type: ignore[arg-type]
        callback, followup = discord_api.interactions[-2:]
        assert callback["type"] == 5  # deferred: the answer may take longer than 3 s
        text = json.dumps(followup["embeds"], ensure_ascii=False)
        assert "Kimi K2" in text and "GPT-5" not in text
        assert (
            followup["allowed_mentions"] == {"parse": []}
            or followup["allowed_mentions"]["parse"] == []
        )

        payload = interaction_payload(
            "watch",
            [
                {
                    "type": 1,
                    "name": "add",
                    "options": [
                        {"type": 3, "name": "name", "value": "x"},
                        {"type": 3, "name": "conditions", "value": "country=CN"},
                    ],
                }
            ],
            command="race-admin",
            group=True,
        )
        await bot.tree._call(discord.Interaction(data=payload, state=bot._connection))  # type: ignore[arg-type]
        refusal = discord_api.interactions[-1]
        assert refusal["type"] == 4 and refusal["data"]["flags"] & 64  # private from the start
        assert "only racewatch admins" in refusal["data"]["content"]
    finally:
        await bot.close()


async def test_watch_preview_shows_the_alert_privately_in_chat(
    app: App, slack_api: FakeSlack, discord_api: FakeDiscord
) -> None:
    bolt = bolt_for(app, slack_api)
    shown = await slack_says(bolt, slack_api, "watch preview all")  # open to everyone
    assert shown["response_type"] == "ephemeral"
    blocks = shown["blocks"]
    assert blocks[0]["text"]["text"] == "Preview of all"
    divider = blocks.index({"type": "divider"})
    alert = json.dumps(blocks[divider + 1 :], ensure_ascii=False)
    assert "GPT-5" in alert or "Kimi K2" in alert or "Kling" in alert  # the alert's own blocks
    missing = await slack_says(bolt, slack_api, "watch preview nope")
    assert missing["response_type"] == "ephemeral" and "No rule named 'nope'" in missing["text"]

    bot = RaceBot(app.commands(), "race", admin_role=None)
    await bot.login("good-token")
    try:
        payload = interaction_payload("watch", [{"type": 3, "name": "preview", "value": "all"}])
        await bot.tree._call(discord.Interaction(data=payload, state=bot._connection))  # type: ignore[arg-type]
        callback, followup = discord_api.interactions[-2:]
        assert callback["type"] == 5 and callback["data"]["flags"] & 64  # deferred privately
        assert followup["flags"] & 64
        titles = [e.get("title", "") for e in followup["embeds"]]
        assert titles[0] == "Preview of all" and len(titles) == 2  # then the alert's embed
    finally:
        await bot.close()


async def test_admins_see_and_resume_a_broken_destination_from_chat(
    app: App, slack_api: FakeSlack
) -> None:
    from datetime import UTC, datetime

    from bot.store import outbox_repo

    assert app.sessions is not None
    with app.sessions.begin() as session:
        outbox_repo.mark_broken(session, "file", "unknown channel", datetime.now(UTC))
    bolt = bolt_for(app, slack_api)
    refused = await slack_says(bolt, slack_api, "destinations", user="U1")
    assert "only racewatch admins" in refused["text"]
    listed = await slack_says(bolt, slack_api, "destinations", user="UADMIN")
    assert "file: broken, unknown channel" in json.dumps(listed["blocks"], ensure_ascii=False)
    wrong = await slack_says(bolt, slack_api, "destinations resume nope", user="UADMIN")
    assert "No broken destination named 'nope' (broken: file)" in wrong["text"]
    resumed = await slack_says(bolt, slack_api, "destinations resume file", user="UADMIN")
    assert resumed["response_type"] == "ephemeral"
    assert "Destination resumed" in json.dumps(resumed["blocks"], ensure_ascii=False)
    with app.sessions.begin() as session:
        assert outbox_repo.destination_health(session)["file"].status == "ok"
