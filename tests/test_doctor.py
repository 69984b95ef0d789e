"""``racewatch doctor``: every missing variable, malformed URL, token and Slack scope named
with its fix, before anything is sent."""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.config.settings import DESTINATION, DestinationSpec, PlatformSettings
from bot.delivery.preflight import (
    DISCORD_WEBHOOK_SHAPE,
    SLACK_METHOD_SCOPES,
    all_slack_scopes,
    chat_problems,
    destination_problems,
    slack_chat_scopes,
    slack_scope_problems,
)
from tests.fakes import FakeDiscord, FakeSlack

ROOT = Path(__file__).resolve().parent.parent
HOOK = "https://discord.com/api/webhooks/123456789012345678/" + "a" * 68


def dest(kind: str, **extra: Any) -> DestinationSpec:
    needs = {"discord": {"channel": "1" * 18}, "slack": {"channel": "C0RACE"}, "webhook": {}}
    if kind == "webhook":
        extra.setdefault("url_env", "TEAM_HOOK")
    return DESTINATION.validate_python({"type": kind, **needs.get(kind, {}), **extra})


@pytest.mark.parametrize(
    ("kind", "variable"),
    [
        ("discord", "DISCORD_TOKEN"),
        ("slack", "SLACK_BOT_TOKEN"),
        ("discord_webhook", "DISCORD_WEBHOOK_URL"),
        ("webhook", "TEAM_HOOK"),
    ],
)
def test_every_destination_names_its_missing_variable(kind: str, variable: str) -> None:
    [problem] = destination_problems(dest(kind), {})
    assert problem.startswith(f"{variable} is not set")
    assert destination_problems(dest("console"), {}) == []


def test_webhook_urls_need_http_and_a_host_and_are_never_repeated() -> None:
    secret = "ftp://hooks.example.com/T0/B0/s3cr3t"
    [problem] = destination_problems(dest("webhook"), {"TEAM_HOOK": secret})
    assert "http:// or https://" in problem and "s3cr3t" not in problem
    [problem] = destination_problems(dest("webhook"), {"TEAM_HOOK": "https:///nohost"})
    assert "no host" in problem
    assert destination_problems(dest("webhook"), {"TEAM_HOOK": "https://h.example/x"}) == []


def test_a_discord_webhook_url_of_the_wrong_shape_gets_the_expected_shape() -> None:
    slack_hook = "https://hooks.slack.com/services/T000/B000/XXXXsecret"
    [problem] = destination_problems(dest("discord_webhook"), {"DISCORD_WEBHOOK_URL": slack_hook})
    assert DISCORD_WEBHOOK_SHAPE in problem and "hooks.slack.com" in problem
    assert "XXXXsecret" not in problem
    cut = HOOK[:-20]  # pasted without the end of the token
    assert destination_problems(dest("discord_webhook"), {"DISCORD_WEBHOOK_URL": cut})
    for good in (HOOK, HOOK.replace("discord.com", "discordapp.com"), HOOK + "?wait=true"):
        assert destination_problems(dest("discord_webhook"), {"DISCORD_WEBHOOK_URL": good}) == []


def test_slack_tokens_of_the_wrong_kind_are_named() -> None:
    [problem] = destination_problems(dest("slack"), {"SLACK_BOT_TOKEN": "xapp-1-A0-123"})
    assert "xoxb-" in problem
    socket = PlatformSettings()
    [problem] = chat_problems(socket, {"SLACK_BOT_TOKEN": "xoxb-1"})
    assert "SLACK_APP_TOKEN is not set, so /race is off" in problem
    assert "connections:write" in problem
    assert chat_problems(socket, {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xapp-1"}) == []
    [problem] = chat_problems(socket, {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xoxb-2"})
    assert "xapp-" in problem
    http = PlatformSettings(slack_mode="http")
    [problem] = chat_problems(http, {"SLACK_BOT_TOKEN": "xoxb-1"})
    assert "SLACK_SIGNING_SECRET" in problem
    assert chat_problems(PlatformSettings(chat_commands=False), {"SLACK_BOT_TOKEN": "xoxb-1"}) == []


def test_missing_scopes_are_listed_with_what_each_is_for() -> None:
    needed = slack_chat_scopes(PlatformSettings(slack_admin_groups=["S1"]))
    [problem] = slack_scope_problems({"chat:write"}, needed)
    for scope in ("commands", "files:write", "usergroups:read"):
        assert scope in problem
    assert "the gap chart" in problem
    assert slack_scope_problems(needed, needed) == []


def _slack_methods_called() -> set[str]:
    """Every Slack Web API method (slack_sdk's name) called anywhere in bot/."""
    from slack_sdk.web.async_client import AsyncWebClient

    api = {n for n in vars(AsyncWebClient) if not n.startswith("_")}
    called = set()
    for path in (ROOT / "bot").rglob("*.py"):
        called |= set(re.findall(r"\.(\w+)\(", path.read_text(encoding="utf-8"))) & api
    return called


def test_the_manifest_asks_for_every_scope_the_code_calls_for() -> None:
    called = _slack_methods_called()
    assert {"chat_postMessage", "conversations_history", "files_upload_v2"} <= called
    assert called <= set(SLACK_METHOD_SCOPES), "add the new method's scopes to preflight.py"
    manifest = yaml.safe_load((ROOT / "slack" / "manifest.yaml").read_text(encoding="utf-8"))
    asked = set(manifest["oauth_config"]["scopes"]["bot"])
    assert all_slack_scopes() <= asked, sorted(all_slack_scopes() - asked)
    assert slack_chat_scopes(PlatformSettings(slack_admin_groups=["S"])) <= asked


async def _doctor(tmp_path: Path, cfg: dict[str, Any], env: dict[str, str]) -> Any:
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump({"default_sources": False, **cfg}))
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DISCORD_"))}
    return await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "bot", "-c", str(path), "doctor"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={**clean, **env},
    )


async def test_doctor_names_every_missing_variable_and_the_socket_mode_token(
    slack_api: FakeSlack, discord_api: FakeDiscord, tmp_path: Path
) -> None:
    cfg = {
        "destinations": {
            "team": {"type": "slack", "channel": "C0RACE"},
            "hook": {"type": "webhook", "url_env": "TEAM_HOOK"},
            "wrong": {"type": "discord_webhook"},
            "bot": {"type": "discord", "channel": "1" * 18},
            "refused": {"type": "discord", "channel": "1" * 18, "token_env": "OLD_TOKEN"},
        },
        "platforms": {"slack_api": slack_api.api, "discord_api": discord_api.api},
    }
    env = {
        "SLACK_BOT_TOKEN": "xoxb-good",
        "DISCORD_WEBHOOK_URL": "https://hooks.slack.com/services/T0/B0/zzz",
        "OLD_TOKEN": "revoked-token",
    }
    result = await _doctor(tmp_path, cfg, env)
    assert result.returncode == 1, result.stderr
    out = result.stdout
    assert "✘ hook (webhook)\n    TEAM_HOOK is not set" in out
    assert "✘ bot (discord)\n    DISCORD_TOKEN is not set" in out
    assert "✘ refused (discord)\n    the Discord token is invalid" in out
    assert "✘ wrong (discord_webhook)\n    DISCORD_WEBHOOK_URL is not a Discord" in out
    assert DISCORD_WEBHOOK_SHAPE in out and "zzz" not in out
    assert "✘ slack /race (socket mode)\n    SLACK_APP_TOKEN is not set" in out
    assert "Unclosed" not in result.stderr and "Traceback" not in result.stderr


async def test_doctor_checks_the_scopes_slack_reports(slack_api: FakeSlack, tmp_path: Path) -> None:
    slack_api.scopes = "chat:write,commands"
    cfg = {
        "destinations": {"team": {"type": "slack", "channel": "C0RACE"}},
        "platforms": {"slack_api": slack_api.api},
    }
    env = {"SLACK_BOT_TOKEN": "xoxb-good", "SLACK_APP_TOKEN": "xapp-1-good"}
    result = await _doctor(tmp_path, cfg, env)
    assert result.returncode == 1
    team, chat = result.stdout.split("✘ slack /race")
    assert "✘ team (slack)" in team and "channels:history" in team and "channels:read" in team
    assert "files:write (the gap chart in /race)" in chat and "commands" not in chat
    slack_api.scopes = ",".join(sorted(all_slack_scopes()))
    result = await _doctor(tmp_path, cfg, env)
    assert result.returncode == 0, result.stdout
    assert "✔ team (slack)" in result.stdout and "✔ slack /race (socket mode)" in result.stdout
    assert "Unclosed" not in result.stderr
