"""Bad input from chat gets a specific, polite answer (never "Something went wrong"), the
Slack admin check runs only for admin commands, and chat rules are capped per workspace."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import discord
import pytest

from bot.chat.discord_app import RaceBot
from bot.commands.reply import UserError
from bot.commands.requests import Caller, Latest, Search, SourceAdd, WatchAdd
from bot.runtime.app import App
from tests.fakes import FakeDiscord, FakeSlack
from tests.test_chat_safety import discord_api
from tests.test_commands import app, bolt_for, interaction_payload, slack_says

__all__ = ["app", "discord_api"]  # fixtures shared with test_commands (slack_api: conftest)
PUBLIC = "http://93.184.215.14"  # a public address that needs no DNS


def text_of(answer: dict[str, Any]) -> str:
    return answer.get("text", "") + json.dumps(answer.get("blocks", []), ensure_ascii=False)


@pytest.mark.parametrize(
    ("command", "says"),
    [
        ("latest ²", "'²' is not a number from 1 to 20"),
        ("latest n=99999999999999999999", "Latest"),  # capped at 20, not an error
        ("why ²", "No stored item matches '²'"),
        ("why 12345678901234567890", "No stored item matches '12345678901234567890'"),
        ("sources add x http://a..example.com/feed", "has an empty part between dots"),
        (f"sources add x http://{'a' * 64}.example.com/feed", "longer than 63 characters"),
        ("sources add x http://example.com:70000/feed", "port must be a number from 1 to 65535"),
        ("sources add x http://user:pw@example.com/feed", "user name or password"),
        ("org US", "is a country, not an organisation: try /race latest US"),
        ("latest Atlantis Labs", "No organisation matches 'Atlantis Labs'"),
        ('watch add x phrase="open', "is never closed"),
    ],
)
async def test_bad_input_gets_a_specific_answer(
    app: App, slack_api: FakeSlack, command: str, says: str
) -> None:
    answer = await slack_says(bolt_for(app, slack_api), slack_api, command, user="UADMIN")
    assert says in text_of(answer)
    assert "Something went wrong" not in text_of(answer)


async def test_a_removed_sources_name_can_be_used_again(app: App, slack_api: FakeSlack) -> None:
    bolt = bolt_for(app, slack_api)
    added = await slack_says(bolt, slack_api, f"sources add extra {PUBLIC}/a.xml", user="UADMIN")
    assert "Source added" in text_of(added)
    taken = await slack_says(bolt, slack_api, f"sources add extra {PUBLIC}/b.xml", user="UADMIN")
    assert "A source named 'extra' exists already" in text_of(taken)
    await slack_says(bolt, slack_api, "sources remove extra", user="UADMIN")
    again = await slack_says(bolt, slack_api, f"sources add extra {PUBLIC}/b.xml", user="UADMIN")
    assert "Source added" in text_of(again) and "/b.xml" in text_of(again)


async def test_two_admins_adding_the_same_rule_at_once(app: App) -> None:
    commands = app.commands()
    answers = await asyncio.gather(
        *(
            commands.run(
                WatchAdd(rule="same", fields={"country": "CN"}),
                Caller(f"slack:U{n}", is_admin=True, workspace="slack:T1"),
            )
            for n in range(2)
        ),
        return_exceptions=True,
    )
    said = [a.title if hasattr(a, "title") else str(a) for a in answers]
    assert said.count("Rule added") == 1, said
    [other] = [s for s in said if s != "Rule added"]
    assert "'same'" in other and ("exists already" in other or "just added" in other)


async def test_chat_rules_are_capped_per_workspace(app: App) -> None:
    commands = app.commands()
    commands.ctx.max_chat_rules = 2
    one = Caller("slack:U1", is_admin=True, workspace="slack:T1")
    for n in range(2):
        await commands.run(WatchAdd(rule=f"r{n}", fields={"country": "CN"}), one)
    with pytest.raises(Exception) as caught:
        await commands.run(WatchAdd(rule="r2", fields={"country": "CN"}), one)
    assert "This workspace has 2 chat rules, the most allowed" in str(caught.value)
    other = Caller("discord:9", is_admin=True, workspace="discord:7")
    added = await commands.run(WatchAdd(rule="r3", fields={"country": "CN"}), other)
    assert added.title == "Rule added"


async def test_slack_reads_admin_groups_only_for_admin_commands_and_caches_them(
    app: App, slack_api: FakeSlack
) -> None:
    bolt = bolt_for(app, slack_api)
    for command in ("latest", "search qwen", "org kimi", "watch list"):
        await slack_says(bolt, slack_api, command, user="U7")
    assert slack_api.group_reads == 0
    for n in range(3):
        await slack_says(bolt, slack_api, f"watch add g{n} country=CN", user="UADMIN2")
    assert slack_api.group_reads == 1
    assert {r.name for r in app.rules_in_force()[0]} >= {"g0", "g1", "g2"}


async def test_expensive_commands_are_rate_limited_per_user(app: App) -> None:
    commands = app.commands()
    for _ in range(6):
        await commands.run(Search(text="kimi"), Caller("slack:U9"))
    with pytest.raises(UserError) as caught:
        await commands.run(Search(text="kimi"), Caller("slack:U9"))
    assert "You have asked for search 6 times in a minute; please wait" in str(caught.value)
    other = await commands.run(Search(text="kimi"), Caller("slack:U10"))
    assert "Kimi K2" in other.lines[0].text
    cheap = await commands.run(Latest(country="CN"), Caller("slack:U9"))  # reading stays open
    assert cheap.lines


async def test_discord_typed_options_reach_the_handlers_typed(
    app: App, discord_api: FakeDiscord
) -> None:
    bot = RaceBot(app.commands(), "race", admin_role=None)
    await bot.login("good-token")
    try:
        org = [{"type": 3, "name": "org", "value": "Moonshot AI"}]
        await bot.tree._call(
            discord.Interaction(data=interaction_payload("latest", org), state=bot._connection)
        )  # type: ignore[arg-type]
        answer = discord_api.interactions[-1]
        assert "Latest: Moonshot AI" in answer["embeds"][0]["title"]
        assert "Kimi K2" in json.dumps(answer["embeds"], ensure_ascii=False)
        bad = [{"type": 3, "name": "country", "value": "Atlantis"}]
        await bot.tree._call(
            discord.Interaction(data=interaction_payload("latest", bad), state=bot._connection)
        )  # type: ignore[arg-type]
        refusal = discord_api.interactions[-1]
        assert refusal["type"] == 4 and refusal["data"]["flags"] & 64  # private, not deferred
        assert "'Atlantis' is not a country" in refusal["data"]["content"]
        choices = await bot.race.orgs(None, "Zhipu")  # type: ignore[arg-type]
        assert choices[0].value == "zhipu"
    finally:
        await bot.close()


async def test_chat_sources_are_capped_per_workspace(app: App) -> None:
    commands = app.commands()
    commands.ctx.max_chat_sources = 1
    slack = Caller("slack:U1", is_admin=True, workspace="slack:T1")
    added = await commands.run(SourceAdd(source="one", url=f"{PUBLIC}/one.xml"), slack)
    assert added.title == "Source added"
    with pytest.raises(UserError) as caught:
        await commands.run(SourceAdd(source="two", url=f"{PUBLIC}/two.xml"), slack)
    assert "This workspace has added 1 sources from chat, the most allowed" in str(caught.value)
    guild = Caller("discord:9", is_admin=True, workspace="discord:7")
    other = await commands.run(SourceAdd(source="two", url=f"{PUBLIC}/two.xml"), guild)
    assert other.title == "Source added"
