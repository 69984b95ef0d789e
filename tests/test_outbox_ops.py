"""Operating the outbox: an outage longer than the retry window parks alerts as expired with
one admin notice, ``racewatch outbox`` lists them and ``outbox retry`` sends them; a process
leaves alone the rows of destinations it does not serve, and ``status`` shows them."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from bot.cli import cli
from bot.config.loader import load_config
from bot.runtime.app import start_app
from tests.conftest import LocalServer, rss
from tests.fakes import FakeSlack, Fault

STORIES = [
    {"title": "DeepSeek releases V3.2 open-weights model", "guid": "a", "link": "https://e.com/a"},
    {
        "title": "Moonshot AI releases Kimi K3 open-weights model",
        "guid": "b",
        "link": "https://e.com/b",
    },
]


class Clock:
    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now


def racewatch(path: Path, *args: str) -> str:
    result = CliRunner().invoke(cli, ["-c", str(path), *args])
    assert result.exit_code == 0, result.output
    return result.output


async def cycle(path: Path, clock: Clock | None = None, drain: bool = True) -> None:
    app = await start_app(load_config(path, env={}), clock=clock or Clock())
    try:
        if not drain:
            assert app.outbox is not None

            async def nothing(batch: int = 50) -> int:
                return 0

            app.outbox.drain = nothing  # type: ignore[method-assign]
        await app.poll_once(force=True)
    finally:
        await app.close()


def notices(tmp_path: Path) -> list[str]:
    path = tmp_path / "admin.jsonl"
    return (
        [json.loads(line)["text"] for line in path.read_text().splitlines()]
        if path.exists()
        else []
    )


async def test_an_outage_past_the_retry_window_parks_alerts_that_outbox_retry_sends(
    server: LocalServer,
    slack_api: FakeSlack,
    tmp_path: Path,
    write_config: Callable[[dict[str, Any]], Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-good")
    path = write_config(
        {
            "sources": [{"name": "news", "url": server.url("/feed.xml")}],
            "destinations": {
                "slack": {"type": "slack", "channel": "C0RACE"},
                "admin": {"type": "jsonl", "path": str(tmp_path / "admin.jsonl")},
            },
            "admin_destination": "admin",
            "rules": [{"name": "race", "when": {"country": "CN"}, "notify": ["slack"]}],
            "platforms": {"slack_api": slack_api.api, "chat_commands": False},
            "outbox_retry_for": "2h",
        }
    )
    server.set("/feed.xml", rss([]))
    clock = Clock()
    await cycle(path, clock)  # the silent baseline
    server.set("/feed.xml", rss(STORIES))
    down = Fault(503, {"ok": False, "error": "service_unavailable"})
    slack_api.faults = [down] * 10_000
    for _ in range(12):  # two hours of failed attempts, a quarter of an hour apart at most
        await cycle(path, clock)
        clock.now += timedelta(minutes=15)
    assert slack_api.posts == []
    expired = [n for n in notices(tmp_path) if "expired" in n]
    assert len(expired) == 1, notices(tmp_path)  # one notice for both alerts, not one each
    assert "2 alert(s) to 'slack' expired after 2 h" in expired[0]
    listed = json.loads(racewatch(path, "outbox", "--json"))["rows"]
    assert [r["state"] for r in listed] == ["expired", "expired"]
    assert "service_unavailable" in listed[0]["last_error"]
    assert "Kimi K3" in racewatch(path, "outbox", "--state", "expired")

    slack_api.faults = []  # Slack is back: the parked alerts go out once re-queued
    assert "queued again: 2 alert(s)" in racewatch(path, "outbox", "retry", "--all")
    await cycle(path, clock)
    posted = [json.dumps(p, ensure_ascii=False) for p in slack_api.posts]
    assert len(posted) == 2
    assert all(sum(s["title"] in p for p in posted) == 1 for s in STORIES)
    assert "every alert was sent" in racewatch(path, "outbox")


async def test_rows_for_a_destination_this_process_lacks_wait_for_one_that_has_it(
    server: LocalServer, tmp_path: Path, write_config: Callable[[dict[str, Any]], Path]
) -> None:
    both = {
        "sources": [{"name": "news", "url": server.url("/feed.xml")}],
        "destinations": {
            "here": {"type": "jsonl", "path": str(tmp_path / "here.jsonl")},
            "elsewhere": {"type": "jsonl", "path": str(tmp_path / "elsewhere.jsonl")},
        },
        "rules": [{"name": "race", "when": {"country": "CN"}}],
    }
    server.set("/feed.xml", rss([]))
    path = write_config(both)
    await cycle(path)  # the silent baseline
    server.set("/feed.xml", rss(STORIES[:1]))
    await cycle(path, drain=False)  # queued for both destinations, nothing sent yet

    only_here = write_config({**both, "destinations": {"here": both["destinations"]["here"]}})
    app = await start_app(load_config(only_here, env={}))
    try:
        await app.poll_once(force=True)
        await app._heartbeat()
        status = json.loads(racewatch(only_here, "status", "--json"))
        text = racewatch(only_here, "status")
    finally:
        await app.close()
    assert (tmp_path / "here.jsonl").exists() and not (tmp_path / "elsewhere.jsonl").exists()
    assert status["unserved"] == {"elsewhere": 1}
    assert status["queues"]["elsewhere"] == {"pending": 1}  # pending, not failed
    assert "1 alert(s) for 'elsewhere' wait for a process that serves it" in text

    path = write_config(both)  # a process that serves it sends it
    await cycle(path)
    assert "DeepSeek" in (tmp_path / "elsewhere.jsonl").read_text()


def slack_settings(server: LocalServer, slack: FakeSlack, tmp_path: Path) -> dict[str, Any]:
    slack.scopes = "chat:write,channels:read,channels:history"  # as the manifest grants
    return {
        "sources": [{"name": "news", "url": server.url("/feed.xml")}],
        "destinations": {
            "slack": {"type": "slack", "channel": "C0RACE"},
            "admin": {"type": "jsonl", "path": str(tmp_path / "admin.jsonl")},
        },
        "admin_destination": "admin",
        "rules": [{"name": "race", "when": {"country": "CN"}, "notify": ["slack"]}],
        "platforms": {"slack_api": slack.api, "chat_commands": False},
    }


async def test_a_broken_destination_is_checked_again_and_resumed_once_fixed(
    server: LocalServer,
    slack_api: FakeSlack,
    tmp_path: Path,
    write_config: Callable[[dict[str, Any]], Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-good")
    path = write_config(slack_settings(server, slack_api, tmp_path))
    server.set("/feed.xml", rss([]))
    await cycle(path)  # the silent baseline
    slack_api.channels.clear()  # the app was removed from the channel
    server.set("/feed.xml", rss(STORIES))
    await cycle(path)
    await cycle(path)  # checked again at the start of each cycle: still broken, no new notice
    listed = json.loads(racewatch(path, "destinations", "--json"))["destinations"]
    slack = next(d for d in listed if d["name"] == "slack")
    assert slack["status"] == "broken" and "channel" in slack["last_refusal"]
    doctor = await asyncio.to_thread(CliRunner().invoke, cli, ["-c", str(path), "doctor"])
    assert doctor.exit_code == 1 and "racewatch stopped sending here" in doctor.output
    assert "destinations resume slack" in doctor.output
    assert [n for n in notices(tmp_path) if "is broken" in n] != []
    assert len([n for n in notices(tmp_path) if "is broken" in n]) == 1  # not once per alert

    # resumed before it is fixed: refused again, broken again, the admin told again
    assert "resumed: slack" in racewatch(path, "destinations", "resume", "slack")
    await cycle(path)
    assert len([n for n in notices(tmp_path) if "is broken" in n]) == 2
    assert slack_api.posts == []

    slack_api.channels.add("C0RACE")  # fixed: the next check finds it and the alerts go out
    await cycle(path)
    assert len(slack_api.posts) == 2
    assert len([n for n in notices(tmp_path) if "works again" in n]) == 1
    assert "BROKEN" not in racewatch(path, "destinations")
    missing = CliRunner().invoke(cli, ["-c", str(path), "destinations", "resume", "slack"])
    assert missing.exit_code == 1 and "no broken destination named 'slack'" in missing.output


async def test_a_refusal_the_check_does_not_confirm_is_retried_not_broken(
    server: LocalServer,
    slack_api: FakeSlack,
    tmp_path: Path,
    write_config: Callable[[dict[str, Any]], Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-good")
    path = write_config(slack_settings(server, slack_api, tmp_path))
    server.set("/feed.xml", rss([]))
    await cycle(path)
    slack_api.faults = [Fault(200, {"ok": False, "error": "invalid_auth"})]  # a passing blip
    server.set("/feed.xml", rss(STORIES[:1]))
    clock = Clock()
    await cycle(path, clock)
    clock.now += timedelta(minutes=5)  # past the retry's backoff
    await cycle(path, clock)
    assert len(slack_api.posts) == 1
    assert not [n for n in notices(tmp_path) if "is broken" in n]
    assert "BROKEN" not in racewatch(path, "destinations")
