"""The read commands and /race's commands on the command line: the same handlers, JSON on
request, plain columns when piped, and a sentence when there is nothing to show."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import LocalServer, rss
from tests.test_first_run import invoke, invoke_async

PUBLIC = "http://93.184.215.14/feed.xml"  # a public address literal: no DNS, never fetched


def test_empty_results_say_so(write_config: Callable[[dict[str, Any]], Path]) -> None:
    path = str(write_config({}))
    result = invoke("-c", path, "orgs", "zzqqxx")
    assert result.exit_code == 0 and "no organisation matches 'zzqqxx'" in result.stdout
    assert "no data yet: the gap needs at least one poll" in invoke("-c", path, "gap").stdout
    assert "no racewatch process is running" in invoke("-c", path, "status").stdout
    assert "no sources" in invoke("-c", path, "sources").stdout
    assert "no items stored in the last 7 days" in invoke("-c", path, "rules", "test").stdout
    assert "No hub items stored yet" in invoke("-c", path, "orgs", "--unknown").stdout
    unknown = json.loads(invoke("-c", path, "orgs", "--unknown", "--json").stdout)
    assert unknown == {"seen": 0, "unknown": []}


def test_tables_are_plain_columns_when_piped(
    write_config: Callable[[dict[str, Any]], Path],
) -> None:
    result = invoke("-c", str(write_config({})), "orgs", "deepseek")
    assert result.exit_code == 0
    assert "┃" not in result.stdout and "│" not in result.stdout
    row = next(line for line in result.stdout.splitlines() if " deepseek " in f" {line} ")
    assert "DeepSeek" in row  # one organisation, one line, whatever its width


def test_json_shapes(write_config: Callable[[dict[str, Any]], Path]) -> None:
    path = str(write_config({}))
    orgs = json.loads(invoke("-c", path, "orgs", "deepseek", "--json").stdout)
    assert orgs["query"] == "deepseek" and orgs["total"] > 100
    assert any(o["id"] == "deepseek" and o["country"] == "CN" for o in orgs["organisations"])
    status = json.loads(invoke("-c", path, "status", "--json").stdout)
    assert status["processes"] == [] and "due_now" in status
    gap = json.loads(invoke("-c", path, "gap", "--json").stdout)
    assert gap["days"] == 30 and gap["total_items"] == 0
    assert {c["country"] for c in gap["countries"]} >= {"CN", "US"}
    rules = json.loads(invoke("-c", path, "rules", "test", "--json").stdout)
    assert rules["items"] == 0 and all(r["fired"] == 0 for r in rules["rules"])


async def test_the_cli_asks_the_same_handlers_as_chat(
    server: LocalServer, write_config: Callable[[dict[str, Any]], Path]
) -> None:
    server.set("/feed.xml", rss([{"title": "DeepSeek releases V3.2 open weights", "guid": "a"}]))
    path = str(write_config({"sources": [{"name": "news", "url": server.url("/feed.xml")}]}))
    assert (await invoke_async("-c", path, "poll", "--once")).exit_code == 0
    org = json.loads((await invoke_async("-c", path, "org", "DeepSeek", "--json")).stdout)
    assert "DeepSeek" in org["title"] and org["lines"]
    added = await invoke_async(
        "-c", path, "watch", "add", "cn-video", "country=CN", "modality=video_gen"
    )
    assert added.exit_code == 0, added.output
    assert "Rule added" in added.stdout
    listed = json.loads((await invoke_async("-c", path, "watch", "list", "--json")).stdout)
    assert any(line["text"].startswith("💬 cn-video") for line in listed["lines"])
    bad = await invoke_async("-c", path, "watch", "add", "x", "contry=CN")
    assert bad.exit_code == 1 and "contry" in bad.stderr
    assert (await invoke_async("-c", path, "watch", "remove", "cn-video")).exit_code == 0
    gone = await invoke_async("-c", path, "watch", "remove", "cn-video")
    assert gone.exit_code == 1 and "No chat rule named 'cn-video'" in gone.stderr
    search = await invoke_async("-c", path, "search", "DeepSeek", "--json")
    assert search.exit_code == 0 and json.loads(search.stdout)["title"]
    latest = await invoke_async("-c", path, "latest", "--country", "China", "-n", "3")
    assert latest.exit_code == 0, latest.output
    assert (await invoke_async("-c", path, "latest", "--country", "Atlantis")).exit_code == 2


async def test_sources_add_with_backfill_is_stored_like_a_chat_source(
    write_config: Callable[[dict[str, Any]], Path],
) -> None:
    path = str(write_config({}))
    added = await invoke_async("-c", path, "sources", "add", "tn", PUBLIC, "--backfill", "3")
    assert added.exit_code == 0, added.output
    assert "the first poll sends its 3 newest items through your rules" in added.stdout
    listed = json.loads((await invoke_async("-c", path, "sources", "--json")).stdout)
    [source] = listed["sources"]
    assert source["name"] == "tn" and source["backfill"] == 3 and source["url"] == PUBLIC
    assert (await invoke_async("-c", path, "sources", "remove", "tn")).exit_code == 0


async def test_backfill_sends_the_newest_items_of_a_first_poll_through_the_rules(
    server: LocalServer, write_config: Callable[[dict[str, Any]], Path], tmp_path: Path
) -> None:
    from datetime import timedelta

    titles = [f"DeepSeek releases model V{n}" for n in range(5)]
    entries = [
        {"title": t, "guid": f"g{n}", "age": timedelta(days=10 + n)} for n, t in enumerate(titles)
    ]
    server.set("/feed.xml", rss(entries))
    alerts = tmp_path / "alerts.jsonl"
    path = write_config(
        {
            "sources": [{"name": "news", "url": server.url("/feed.xml"), "backfill": 2}],
            "rules": [{"name": "cn", "when": {"country": "CN"}}],
            "destinations": {"file": {"type": "jsonl", "path": str(alerts)}},
        }
    )
    result = await invoke_async("-c", str(path), "poll", "--once")
    assert result.exit_code == 0, result.output
    sent = [json.loads(line)["title"] for line in alerts.read_text().splitlines()]
    assert sorted(sent) == titles[:2]  # the two newest, although ten days old
    assert "rules (backfill), 2 alerts queued" in result.stderr


@pytest.mark.slow
def test_the_demo_labels_its_numbers_and_never_breaks_a_link(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    env = {**os.environ, "COLUMNS": "80"}
    result = subprocess.run(
        [sys.executable, "-m", "bot", "demo"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "always uses a temporary database" in out
    assert "1.2k downloads" in out and "235B parameters" in out
    assert "https://openai.com/index/introducing-gpt-5/?utm_source=rss" in out  # one piece
    assert "Traceback" not in result.stderr


async def test_watch_preview_shows_the_alert_as_each_destination_would(
    server: LocalServer, write_config: Callable[[dict[str, Any]], Path]
) -> None:
    server.set(
        "/feed.xml",
        rss(
            [
                {"title": "DeepSeek open-sources V3.2 under the MIT licence", "guid": "a"},
                {"title": "Weather: a sunny week ahead", "guid": "b"},
            ]
        ),
    )
    path = str(
        write_config(
            {
                "sources": [{"name": "news", "url": server.url("/feed.xml")}],
                "destinations": {
                    "screen": {"type": "console"},
                    "team": {"type": "discord", "channel": "123456789012345678"},
                    "ops": {"type": "slack", "channel": "C0123"},
                },
                "rules": [
                    {
                        "name": "cn",
                        "when": {"country": "CN"},
                        "notify": ["team"],
                        "mention": ["111"],
                    },
                    {"name": "fr", "when": {"country": "FR"}},
                ],
            }
        )
    )
    assert (await invoke_async("-c", path, "poll", "--once")).exit_code == 0

    as_discord = await invoke_async("-c", path, "watch", "preview", "cn", "--json")
    assert as_discord.exit_code == 0, as_discord.output
    shown = json.loads(as_discord.stdout)
    assert shown["destination"] == "team" and shown["type"] == "discord"  # the rule's own
    embed = shown["payload"]["embeds"][0]
    assert "DeepSeek open-sources V3.2" in embed["title"]
    assert shown["payload"]["content"] == "<@&111>"  # its mention, as it would ping

    as_slack = json.loads(
        (await invoke_async("-c", path, "watch", "preview", "cn", "--to", "ops", "--json")).stdout
    )
    assert as_slack["type"] == "slack" and as_slack["payload"]["blocks"]
    assert "DeepSeek" in as_slack["payload"]["text"]

    on_screen = await invoke_async("-c", path, "watch", "preview", "cn", "--to", "screen")
    assert on_screen.exit_code == 0
    assert "Preview of cn" in on_screen.stdout and "Nothing was sent" in on_screen.stdout
    assert "As screen (console) would show it" in on_screen.stdout
    assert "DeepSeek open-sources V3.2" in on_screen.stdout

    nothing = await invoke_async("-c", path, "watch", "preview", "fr")
    assert nothing.exit_code == 0 and "fr matched no item" in nothing.stdout
    assert "country" in nothing.stdout  # the condition that kept it from firing

    unknown = await invoke_async("-c", path, "watch", "preview", "nope")
    assert unknown.exit_code == 1 and "No rule named 'nope'" in unknown.stderr
    assert "cn, fr" in unknown.stderr
    wrong = await invoke_async("-c", path, "watch", "preview", "cn", "--to", "nowhere")
    assert wrong.exit_code == 2 and "configured: screen, team, ops" in wrong.stderr


def test_next_poll_reads_as_a_time_never_in_just_now() -> None:
    from bot.cli.info import next_poll_text

    assert next_poll_text(-5) == "now"
    assert next_poll_text(60) == "now"
    assert next_poll_text(75) == "in 1 min"
    assert next_poll_text(300) == "in 5 min"
    assert next_poll_text(7200) == "in 2 h"
