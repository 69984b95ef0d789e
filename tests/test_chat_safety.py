"""Nobody can freeze, fool or lock out racewatch from chat: Discord admins decided from the
interaction, catastrophic regexes under a limit that holds while everything else answers,
and Slack's HTTP mode refusing forged, stale, replayed or misdirected requests."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import os
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp
import discord
import pytest

from bot.chat.discord_app import RaceBot
from bot.chat.slack_app import admin_checker, build_app, response_url_allowed
from bot.chat.slack_http import SlackRequestGuard, Verdict, require_signing_secret
from bot.commands.requests import Caller, Latest, WatchTest
from bot.config.loader import load_config
from bot.delivery.slack_sender import web_client
from bot.errors import ConfigError
from bot.runtime.app import App, start_app
from tests.conftest import LocalServer, rss
from tests.fakes import FakeDiscord, FakeSlack
from tests.test_commands import discord_api, interaction_payload

__all__ = ["discord_api"]  # the fixture, shared with test_commands

CATASTROPHIC = "(a|a)+!"  # exponential backtracking on a run of a's with no "!" after it
SECRET = "0123456789abcdef0123456789abcdef"


@pytest.fixture
async def app(
    server: LocalServer, tmp_path: Path, write_config: Callable[[dict[str, Any]], Path]
) -> AsyncIterator[App]:
    """A running racewatch with 120 stored items whose text is a long run of a's."""
    server.set("/feed.xml", rss([]))
    path = write_config(
        {
            "sources": [{"name": "news", "url": server.url("/feed.xml")}],
            "destinations": {"file": {"type": "jsonl", "path": str(tmp_path / "a.jsonl")}},
            "rules": [{"name": "all", "when": {"countries_involved": ["CN", "US"]}}],
            "server": {"enabled": True, "port": 0, "metrics": True},
        }
    )
    instance = await start_app(load_config(path, env={}))
    await instance.poll_once(force=True)
    entries = [
        {
            "title": f"Alibaba releases Qwen {'a' * 28} model {i}",  # no "!": it backtracks
            "guid": f"g{i}",
            "link": f"https://example.com/{i}",
            "summary": "a" * 40,
        }
        for i in range(120)
    ]
    server.set("/feed.xml", rss(entries))
    await instance.poll_once(force=True)
    await instance.start_server()
    yield instance
    await instance.close()


# -- Discord admins -------------------------------------------------------------------------
ADD_RULE = [
    {
        "type": 1,
        "name": "add",
        "options": [
            {"type": 3, "name": "name", "value": "cn-only"},
            {"type": 3, "name": "conditions", "value": 'country=CN phrase="open weights"'},
        ],
    }
]


async def discord_add(bot: RaceBot, api: FakeDiscord, **member: Any) -> dict[str, Any]:
    payload = interaction_payload("watch", ADD_RULE, command="race-admin", group=True, **member)
    await bot.tree._call(discord.Interaction(data=payload, state=bot._connection))  # type: ignore[arg-type]
    return api.interactions[-1]


@pytest.mark.parametrize(
    ("member", "why"),
    [
        ({"permissions": str(1 << 5)}, "Manage Server"),
        ({"permissions": str(1 << 3)}, "Administrator"),
        ({"roles": ["555000000000000001"]}, "the configured admin role"),
    ],
)
async def test_discord_admins_can_change_rules(
    app: App, discord_api: FakeDiscord, member: dict[str, Any], why: str
) -> None:
    bot = RaceBot(app.commands(), "race", admin_role="555000000000000001")
    await bot.login("good-token")
    try:
        callback = discord_api.interactions[-1] if discord_api.interactions else None
        answer = await discord_add(bot, discord_api, **member)
        assert answer is not callback
        deferred = discord_api.interactions[-2]
        assert deferred["type"] == 5 and deferred["data"]["flags"] & 64  # private, then work
        assert "Rule added" in json.dumps(answer["embeds"]), why
        assert "cn-only" in [r.name for r in app.rules_in_force()[0]]
    finally:
        await bot.close()


async def test_discord_members_without_rights_are_refused_privately(
    app: App, discord_api: FakeDiscord
) -> None:
    bot = RaceBot(app.commands(), "race", admin_role="555000000000000001")
    await bot.login("good-token")
    try:
        answer = await discord_add(bot, discord_api, roles=["555000000000000002"])
        assert answer["type"] == 4 and answer["data"]["flags"] & 64
        assert "only racewatch admins" in answer["data"]["content"]
        assert "cn-only" not in [r.name for r in app.rules_in_force()[0]]
    finally:
        await bot.close()


def test_admin_commands_are_hidden_from_members_without_manage_server(app: App) -> None:
    bot = RaceBot(app.commands(), "race", admin_role=None)
    admin = bot.race.admin_group.to_dict(bot.tree)
    reading = bot.race.group.to_dict(bot.tree)
    assert int(admin["default_member_permissions"]) == discord.Permissions(manage_guild=True).value
    assert reading["default_member_permissions"] is None
    names = {o["name"] for o in reading["options"]}
    assert {"latest", "search", "gap", "org", "why"} <= names
    for option in [*admin["options"], *reading["options"]]:
        for sub in option.get("options", []):
            assert sub["description"] and "…" not in sub["description"]


# -- freeze-proof -----------------------------------------------------------------------------
async def timed(coro: Any) -> float:
    started = time.monotonic()
    await coro
    return time.monotonic() - started


async def test_ten_catastrophic_dry_runs_do_not_freeze_anything(app: App) -> None:
    commands = app.commands()
    commands.ctx.dry_run_seconds = 3.0
    health = f"http://127.0.0.1:{app.server_port}/healthz"

    async def get_health() -> None:
        async with aiohttp.ClientSession() as http, http.get(health) as response:
            assert response.status == 200

    async def latest() -> None:
        reply = await commands.run(Latest(country="CN"), Caller("slack:reader"))
        assert "Qwen" in reply.lines[0].text

    normal = [await timed(f()) for f in (latest, get_health, app._heartbeat)]

    async def dry_run(n: int) -> str:
        try:
            reply = await commands.run(
                WatchTest(fields={"regex": CATASTROPHIC}), Caller(f"slack:admin{n}", True)
            )
        except Exception as exc:  # the busy refusal is a UserError
            return str(exc)
        return reply.title

    started = time.monotonic()
    flood = [asyncio.create_task(dry_run(n)) for n in range(10)]
    await asyncio.sleep(0.3)  # the dry runs are under way
    loaded = []
    for _ in range(3):
        loaded.append([await timed(f()) for f in (latest, get_health, app._heartbeat)])
        await asyncio.sleep(0.2)
    answers = await asyncio.gather(*flood)
    took = time.monotonic() - started
    worst = [max(round[i] for round in loaded) for i in range(3)]
    print(f"normal {normal}, under ten dry runs {worst}, dry runs done in {took:.1f} s", answers)
    assert all(w < max(1.5, 5 * n) for w, n in zip(worst, normal, strict=True)), (worst, normal)
    finished = [a for a in answers if "time limit" in a or "Would fire" in a]
    busy = [a for a in answers if "busy" in a]
    assert len(finished) + len(busy) == 10 and finished, answers
    assert took < 3.0 * 2 + 4  # two heavy lanes, each bounded by the dry run's deadline


async def test_regex_dry_runs_are_for_admins_only(app: App) -> None:
    reply = await app.commands().run(
        WatchTest(fields={"regex": CATASTROPHIC}), Caller("slack:someone")
    )
    assert "only racewatch admins" in reply.lines[0].text


# -- Slack HTTP mode ----------------------------------------------------------------------------
def signed_headers(body: bytes, secret: str = SECRET, stamp: str | None = None) -> dict[str, str]:
    ts = stamp if stamp is not None else str(int(time.time()))
    digest = hmac.new(secret.encode(), b"v0:" + ts.encode() + b":" + body, hashlib.sha256)
    return {
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": f"v0={digest.hexdigest()}",
        "Content-Type": "application/x-www-form-urlencoded",
    }


def test_http_mode_refuses_to_start_without_the_signing_secret() -> None:
    with pytest.raises(ConfigError) as caught:
        require_signing_secret({})
    assert "SLACK_SIGNING_SECRET" in str(caught.value)
    assert require_signing_secret({"SLACK_SIGNING_SECRET": "s"}) == "s"


def test_the_guard_refuses_forged_stale_and_malformed_requests_and_ignores_replays() -> None:
    guard = SlackRequestGuard(SECRET)
    body = b"command=%2Frace&text=latest"
    good = signed_headers(body)
    assert guard.check(good, body) is Verdict.OK
    assert guard.check(good, body) is Verdict.REPLAY
    assert guard.check(signed_headers(body, secret="forged"), body) is Verdict.REFUSED
    old = str(int(time.time()) - 301)
    assert guard.check(signed_headers(body, stamp=old), body) is Verdict.REFUSED
    for stamp in ("", "abc", "1e9", "١٢٣", "9" * 40):
        assert guard.check(signed_headers(body, stamp=stamp), body) is Verdict.REFUSED
    assert guard.check(good, body + b"x") is Verdict.REFUSED


def test_answers_go_only_to_slack_hooks() -> None:
    hooks = ["https://hooks.slack.com"]
    assert response_url_allowed("https://hooks.slack.com/commands/T1/2/abc", hooks)
    for url in (
        "http://hooks.slack.com/commands/T1/2/abc",
        "https://hooks.slack.com.evil.example/x",
        "https://evil.example/hooks.slack.com",
        "https://user@hooks.slack.com/x",
        "https://127.0.0.1/x",
        "",
    ):
        assert not response_url_allowed(url, hooks), url


async def test_slack_http_endpoint_end_to_end(app: App, monkeypatch: pytest.MonkeyPatch) -> None:
    """Through racewatch's own endpoint: a bad timestamp is a 401, a replay is ignored, and a
    forger's response_url never receives anything."""
    slack = FakeSlack()
    await slack.start()
    try:
        monkeypatch.setitem(os.environ, "SLACK_SIGNING_SECRET", SECRET)
        app.chat.slack_guard = SlackRequestGuard(require_signing_secret(os.environ))
        app.chat.slack_app = build_app(
            app.commands(),
            signing_secret=SECRET,
            client=web_client("xoxb-good", slack.api),
            command="race",
            is_admin=admin_checker([], []),
            response_origins=[slack.base],
        )
        await app.start_server()  # started again: now with the Slack endpoint
        url = f"http://127.0.0.1:{app.server_port}/slack/events"

        def form(response_url: str) -> bytes:
            fields = {"command": "/race", "text": "latest CN", "user_id": "U1", "team_id": "T1"}
            return urlencode({**fields, "response_url": response_url}).encode()

        async with aiohttp.ClientSession() as http:
            body = form(f"{slack.base}/respond/1")
            headers = signed_headers(body)
            async with http.post(url, data=body, headers=headers) as first:
                assert first.status == 200
            async with http.post(url, data=body, headers=headers) as replay:
                assert replay.status == 200
            bad = signed_headers(body, stamp="not-a-time")
            async with http.post(url, data=body, headers=bad) as stale:
                assert stale.status == 401
            evil = form("https://evil.example/steal")
            async with http.post(url, data=evil, headers=signed_headers(evil)) as misdirected:
                assert misdirected.status == 200
        async with asyncio.timeout(20):
            while not slack.responses:
                await asyncio.sleep(0.05)
        await asyncio.sleep(0.5)
        assert len(slack.responses) == 1  # the replay was not answered a second time
    finally:
        await slack.stop()
