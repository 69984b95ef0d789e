"""Long answers come in pages with Previous / Next buttons on Slack and Discord, and say how
many pages there are; nothing is cut."""

from __future__ import annotations

import asyncio
import json
from typing import Any
from urllib.parse import urlencode

import discord

from bot.chat.discord_app import RaceBot
from bot.commands.requests import Caller, WatchAdd
from bot.runtime.app import App
from tests.fakes import FakeDiscord, FakeSlack
from tests.test_chat_safety import discord_api
from tests.test_commands import app, bolt_for, interaction_payload, signed, slack_api, slack_says

__all__ = ["app", "discord_api", "slack_api"]  # fixtures shared with test_commands
RULES = 90


async def many_rules(app: App) -> None:
    admin = Caller("slack:UADMIN", is_admin=True, workspace="slack:T1")
    for n in range(RULES):
        fields = {"country": "CN", "phrase": f"a phrase long enough to fill the page {n}"}
        await app.commands().run(WatchAdd(rule=f"rule-{n:03d}", fields=fields), admin)


def all_text(blocks: list[dict[str, Any]]) -> str:
    return json.dumps(blocks, ensure_ascii=False)


async def test_slack_pages_long_answers_with_buttons(app: App, slack_api: FakeSlack) -> None:
    await many_rules(app)
    bolt = bolt_for(app, slack_api)
    first = await slack_says(bolt, slack_api, "watch list")
    pages = [first]
    while True:
        page = pages[-1]
        header = page["blocks"][0]["text"]["text"]
        assert f"page {len(pages)} of " in header and f"({RULES + 1} lines)" in header
        count = int(header.split(" of ")[1].split()[0])
        actions = [b for b in page["blocks"] if b["type"] == "actions"]
        if len(pages) == count:
            assert all(e["text"]["text"] != "Next ▶" for a in actions for e in a["elements"])
            break
        [next_button] = [e for e in actions[0]["elements"] if e["text"]["text"] == "Next ▶"]
        pages.append(await click(bolt, slack_api, next_button))
        assert pages[-1]["replace_original"] is True
    assert len(pages) >= 2
    shown = "".join(all_text(p["blocks"]) for p in pages)
    assert all(f"rule-{n:03d}" in shown for n in range(RULES))  # nothing is cut


async def click(bolt: Any, slack_api: FakeSlack, button: dict[str, Any]) -> dict[str, Any]:
    payload = {
        "type": "block_actions",
        "user": {"id": "U1"},
        "team": {"id": "T1"},
        "api_app_id": "A1",
        "token": "x",
        "trigger_id": "1.2",
        "response_url": f"{slack_api.base}/respond/page",
        "actions": [{**button, "block_id": "b", "action_ts": "1"}],
    }
    before = len(slack_api.responses)
    response = await bolt.async_dispatch(signed(urlencode({"payload": json.dumps(payload)})))
    assert response.status == 200
    async with asyncio.timeout(20):
        while len(slack_api.responses) == before:
            await asyncio.sleep(0.02)
    return slack_api.responses[-1]


async def test_discord_pages_long_answers_with_buttons(app: App, discord_api: FakeDiscord) -> None:
    await many_rules(app)
    bot = RaceBot(app.commands(), "race", admin_role=None)
    await bot.login("good-token")
    try:
        payload = interaction_payload("watch", [])
        await bot.tree._call(discord.Interaction(data=payload, state=bot._connection))  # type: ignore[arg-type]
        first = discord_api.interactions[-1]
        title = first["embeds"][0]["title"]
        assert "page 1 of " in title and f"({RULES + 1} lines)" in title
        count = int(title.split(" of ")[1].split()[0])
        buttons = first["components"][0]["components"]
        assert [b["label"] for b in buttons] == ["◀ Previous", "Next ▶"]
        assert buttons[0]["disabled"] and not buttons[1].get("disabled")
        shown = json.dumps(first["embeds"], ensure_ascii=False)
        for n in range(2, count + 1):
            click = {
                **payload,
                "id": f"10{n}",
                "type": 3,
                "data": {"custom_id": buttons[1]["custom_id"], "component_type": 2},
            }
            await bot.race.turn_page(discord.Interaction(data=click, state=bot._connection))  # type: ignore[arg-type]
            edited = discord_api.interactions[-1]
            assert edited["type"] == 7  # the message is updated in place
            assert f"page {n} of {count}" in edited["data"]["embeds"][0]["title"]
            shown += json.dumps(edited["data"]["embeds"], ensure_ascii=False)
            buttons = edited["data"]["components"][0]["components"]
        assert buttons[1]["disabled"]  # no Next on the last page
        assert all(f"rule-{n:03d}" in shown for n in range(RULES))
    finally:
        await bot.close()
