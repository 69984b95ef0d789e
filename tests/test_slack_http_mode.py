"""Slack's HTTP mode as an operator runs it: it will not start without the signing secret,
the heartbeat keeps the one Bolt app it built, and ``racewatch status`` says who answers."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.config.loader import load_config
from bot.runtime.app import start_app
from tests.conftest import LocalServer, rss
from tests.fakes import FakeSlack
from tests.test_cli import racewatch
from tests.test_commands import slack_api

__all__ = ["slack_api"]  # the fixture, shared with test_commands


def http_mode(server: LocalServer, slack: FakeSlack) -> dict[str, Any]:
    server.set("/feed.xml", rss([]))
    return {
        "sources": [{"name": "news", "url": server.url("/feed.xml")}],
        "destinations": {"console": {"type": "console"}},
        "platforms": {"slack_mode": "http", "slack_api": slack.api},
        "server": {"enabled": True, "port": 0},
    }


async def test_run_refuses_http_mode_without_the_signing_secret(
    server: LocalServer,
    tmp_path: Path,
    write_config: Callable[[dict[str, Any]], Path],
    monkeypatch: pytest.MonkeyPatch,
    slack_api: FakeSlack,
) -> None:
    path = write_config(http_mode(server, slack_api))
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-good")
    monkeypatch.delenv("SLACK_SIGNING_SECRET", raising=False)
    result = racewatch("-c", str(path), "run", cwd=tmp_path, timeout=120)
    assert result.returncode == 2, result.stderr[-2000:]
    assert "SLACK_SIGNING_SECRET" in result.stderr
    assert "Traceback" not in result.stderr


async def test_heartbeat_keeps_the_app_and_status_shows_the_chat_holder(
    server: LocalServer,
    tmp_path: Path,
    write_config: Callable[[dict[str, Any]], Path],
    monkeypatch: pytest.MonkeyPatch,
    slack_api: FakeSlack,
) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-good")
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "0123456789abcdef")
    path = write_config(http_mode(server, slack_api))
    app = await start_app(load_config(path, env={}))
    try:
        await app.start_chat()
        await app.start_server()
        built = app.chat.slack_app
        assert built is not None
        for _ in range(3):
            await app._heartbeat()
        assert app.chat.slack_app is built  # not rebuilt every 15 s
        shown = racewatch("-c", str(path), "status", cwd=tmp_path)
        assert shown.returncode == 0, shown.stderr
        assert f"chat commands: answered by {app.owner} (slack:http)" in shown.stdout
    finally:
        await app.close()


def test_the_http_manifest_matches_the_socket_one_and_points_at_slack_events() -> None:
    root = Path(__file__).resolve().parent.parent / "slack"
    socket = yaml.safe_load((root / "manifest.yaml").read_text(encoding="utf-8"))
    http = yaml.safe_load((root / "manifest-http.yaml").read_text(encoding="utf-8"))
    assert socket["settings"]["socket_mode_enabled"] is True
    assert http["settings"]["socket_mode_enabled"] is False
    assert http["oauth_config"] == socket["oauth_config"]
    [command] = http["features"]["slash_commands"]
    assert command["url"].endswith("/slack/events") and command["url"].startswith("https://")
    assert http["settings"]["interactivity"]["request_url"] == command["url"]
