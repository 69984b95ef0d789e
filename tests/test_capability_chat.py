"""The capability gap in chat: Slack text and Discord's typed sub-command, with the chart."""

from __future__ import annotations

import asyncio
import io
import json
from pathlib import Path
from typing import Any

import discord
import pytest
from PIL import Image

from bot.chat.discord_app import RaceBot
from bot.commands import capability
from bot.commands.requests import Gap, GapCapability
from bot.commands.text import parse
from bot.errors import UserError
from bot.runtime.app import App
from bot.sources.board_files import read_board_file
from bot.store import boards_repo
from tests.test_commands import (  # noqa: F401
    app,
    bolt_for,
    discord_api,
    interaction_payload,
    slack_api,
    slack_says,
)


def test_slack_text_reaches_the_capability_request() -> None:

    assert parse("gap capability video 1y", "race") == GapCapability("video", "1y")
    assert parse("gap capability", "race") == GapCapability("text", "90d")
    assert parse("gap releases 90d", "race") == Gap(window="90d")
    with pytest.raises(UserError, match="not an arena"):
        CapabilityRequestCheck.run("gap capability audio")


class CapabilityRequestCheck:
    @staticmethod
    def run(text: str) -> None:

        request = parse(text, "race")
        capability.CapabilityQuery.parse(request.arena, request.window)  # type: ignore[attr-defined]


def _store_boards(app: App) -> None:
    assert app.sessions is not None and app.poller is not None
    with app.sessions.begin() as session:
        for path in sorted(
            (Path(__file__).parent.parent / "bot" / "demo" / "boards").glob("*.csv")
        ):
            for snapshot in read_board_file(path):
                boards_repo.save_snapshot(session, snapshot, app.poller.resolve_board_row)


async def test_slack_gap_capability_answers_with_a_chart(app: App, slack_api: Any) -> None:
    _store_boards(app)
    bolt = bolt_for(app, slack_api)
    answer = await slack_says(bolt, slack_api, "gap capability video all")
    text = json.dumps(answer["blocks"], ensure_ascii=False)
    assert "Capability gap, LMArena text-to-video arena" in text
    assert "Lead change on 16 Jun 2025: China ahead with seedance-v1-pro" in text
    async with asyncio.timeout(20):
        while not slack_api.shared:
            await asyncio.sleep(0.02)
    png = next(iter(slack_api.files.values()))
    assert Image.open(io.BytesIO(png)).size == (900, 450)


async def test_discord_gap_capability_is_a_typed_sub_command(app: App, discord_api: Any) -> None:
    _store_boards(app)
    bot = RaceBot(app.commands(), "race", admin_role=None)
    reading = bot.race.group.to_dict(bot.tree)
    gap = next(o for o in reading["options"] if o["name"] == "gap")
    assert {o["name"] for o in gap["options"]} == {"releases", "capability"}
    await bot.login("good-token")
    try:
        payload = interaction_payload(
            "gap",
            [
                {
                    "type": 1,
                    "name": "capability",
                    "options": [
                        {"type": 3, "name": "arena", "value": "text"},
                        {"type": 3, "name": "window", "value": "all"},
                    ],
                }
            ],
            group=True,
        )
        await bot.tree._call(discord.Interaction(data=payload, state=bot._connection))  # type: ignore[arg-type]
        callback, followup = discord_api.interactions[-2:]
        assert callback["type"] == 5
        shown = json.dumps(followup, ensure_ascii=False)
        assert "Capability gap, LMArena text arena" in shown and "gemini-2.5-pro" in shown
    finally:
        await bot.close()
