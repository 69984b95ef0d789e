"""The first hour: set-up steps that must not go quietly wrong."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from bot.cli import cli
from bot.runtime.poller import PollOutcome, network_failure, shared_network_failure
from tests.conftest import LocalServer, rss


def invoke(*args: str) -> Result:
    """Run ``racewatch ARGS`` in this process (stdout and stderr kept apart)."""
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


async def invoke_async(*args: str) -> Result:
    """The same from an async test: the command runs its own event loop in a thread."""
    return await asyncio.to_thread(invoke, *args)


async def test_a_first_poll_once_polls_every_new_source(
    server: LocalServer, write_config: Callable[[dict[str, Any]], Path]
) -> None:
    server.set("/a.xml", rss([{"title": "Qwen3 released", "guid": "a1"}]))
    server.set("/b.xml", rss([{"title": "Kimi K2 released", "guid": "b1"}]))
    path = write_config(
        {
            "sources": [
                {"name": "a", "url": server.url("/a.xml")},
                {"name": "b", "url": server.url("/b.xml")},
            ]
        }
    )
    result = await invoke_async("-c", str(path), "poll", "--once")
    assert result.exit_code == 0, result.output
    assert "polled 2 sources: 2 ok, 0 failed; 2 new items" in result.stdout
    assert len(server.hits("/a.xml")) == 1 and len(server.hits("/b.xml")) == 1
    assert "silent baseline" in result.stderr and "silent baseline" not in result.stdout
    again = await invoke_async("-c", str(path), "poll", "--once")
    assert again.exit_code == 0 and "polled 0 sources: none is due" in again.stdout


async def test_poll_once_exits_1_when_every_source_failed(
    server: LocalServer, write_config: Callable[[dict[str, Any]], Path]
) -> None:
    server.set("/ok.xml", rss([]))
    sources = [{"name": f"dead{i}", "url": f"http://127.0.0.1:9/{i}.xml"} for i in range(3)]
    result = await invoke_async("-c", str(write_config({"sources": sources})), "poll", "--once")
    assert result.exit_code == 1
    assert "polled 3 sources: all 3 failed" in result.stdout
    # the network is down, not the sources: one line, not one per source
    assert "no network: 3 of 3 sources failed to connect" in result.stderr
    assert "dead0:" not in result.stderr
    mixed = [*sources, {"name": "fine", "url": server.url("/ok.xml")}]
    result = await invoke_async(
        "-c", str(write_config({"sources": mixed})), "poll", "--once", "--all"
    )
    assert result.exit_code == 0
    assert "polled 4 sources: 1 ok, 3 failed" in result.stdout
    assert "dead0: cannot connect" in result.stderr and "no network" not in result.stderr


def test_network_failures_are_recognised_whatever_the_host() -> None:
    dns = "cannot connect to openai.com: Name or service not known"
    assert network_failure(dns) == "failed to resolve (Name or service not known)"
    assert network_failure("cannot connect to 10.0.0.1: Connect call failed ('10.0.0.1', 443)") == (
        "failed to connect (Connect call failed)"
    )
    assert network_failure("HTTP 404: not found (has the feed moved?)") is None
    down = [
        PollOutcome("a", False, error=dns),
        PollOutcome(
            "b", False, error="cannot connect to qwenlm.github.io: Name or service not known"
        ),
    ]
    assert shared_network_failure(down) == "failed to resolve (Name or service not known)"
    assert shared_network_failure(down[:1]) is None  # one source down is that source's problem
    assert shared_network_failure([*down, PollOutcome("c", True)]) is None
    other = PollOutcome("c", False, error="HTTP 500: the server had an error")
    assert shared_network_failure([*down, other]) is None


def test_an_unsupported_database_url_names_the_supported_ones(
    write_config: Callable[[dict[str, Any]], Path],
) -> None:
    path = write_config({"database_url": "mysql://bot:hunter2@db.example/racewatch"})
    result = invoke("-c", str(path), "sources")
    assert result.exit_code == 3
    assert "'mysql://bot:***@db.example/racewatch' is not supported" in result.stderr
    assert "sqlite:///PATH or postgresql://" in result.stderr and "hunter2" not in result.stderr


def test_the_missing_driver_hint_shows_the_extra_literally(
    write_config: Callable[[dict[str, Any]], Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "psycopg", None)  # as if psycopg were not installed
    path = write_config({"database_url": "postgresql://racewatch@127.0.0.1:1/racewatch"})
    result = invoke("-c", str(path), "sources")
    assert result.exit_code == 3
    assert "pip install 'racewatch[postgres]'" in result.stderr


def test_bench_exits_1_when_a_figure_misses_its_target(monkeypatch: pytest.MonkeyPatch) -> None:
    from bot.bench import scenarios

    async def slow() -> list[scenarios.Row]:
        return [("cycle wall time", "41.0 s", "<= 30 s", "MISSED"), ("memory", "90 MB", "", "ok")]

    async def fast() -> list[scenarios.Row]:
        return [("cycle wall time", "12.0 s", "<= 30 s", "ok")]

    monkeypatch.setitem(scenarios.SCENARIOS, "cycle", slow)
    result = invoke("bench", "cycle")
    assert result.exit_code == 1
    assert "1 figure missed its target" in result.stdout
    assert "cycle: cycle wall time 41.0 s (target <= 30 s)" in result.stdout
    monkeypatch.setitem(scenarios.SCENARIOS, "cycle", fast)
    assert invoke("bench", "cycle").exit_code == 0


async def _run_until(path: Path, cwd: Path, text: str, **env_vars: str) -> tuple[int | None, str]:
    """Start ``racewatch run``; stop it (SIGINT) once ``text`` is logged or it has exited."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DISCORD_", "HF_"))}
    env.update(env_vars)
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "-c",
        str(path),
        "run",
        cwd=cwd,
        env={**env, "COLUMNS": "200"},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    assert proc.stdout is not None
    seen: list[str] = []
    async with asyncio.timeout(60):
        while not any(text in line for line in seen):
            line = (await proc.stdout.readline()).decode()
            if not line:
                break
            seen.append(line)
        if proc.returncode is None and not any("racewatch:" in line for line in seen):
            proc.send_signal(signal.SIGINT)
        seen += [(await proc.stdout.read()).decode()]
        return await proc.wait(), "".join(seen)


async def test_a_taken_metrics_port_is_named_with_its_setting(
    write_config: Callable[[dict[str, Any]], Path], tmp_path: Path
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        path = write_config({"server": {"enabled": True, "port": port}})
        code, text = await _run_until(path, tmp_path, "racewatch:")
    assert code == 2, text
    assert f"cannot listen on 127.0.0.1:{port}" in text and "server.port" in text
    assert "Traceback" not in text and "HF_WEBHOOK_SECRET" not in text


async def test_hf_webhook_secret_is_mentioned_only_when_the_receiver_is_on(
    write_config: Callable[[dict[str, Any]], Path], tmp_path: Path
) -> None:
    path = write_config({"server": {"enabled": True, "port": 0}})
    code, text = await _run_until(path, tmp_path, "listening on")
    assert code == 0 and "listening on http://127.0.0.1:" in text
    assert "HF_WEBHOOK_SECRET" not in text
    path = write_config({"server": {"enabled": True, "port": 0, "webhook": True}})
    code, text = await _run_until(path, tmp_path, "listening on")
    assert code == 0 and "HF_WEBHOOK_SECRET is not set" in text


async def test_run_warns_at_start_up_when_slash_commands_would_be_off(
    write_config: Callable[[dict[str, Any]], Path], tmp_path: Path
) -> None:
    path = write_config({"destinations": {"hook": {"type": "webhook", "url_env": "TEAM_HOOK"}}})
    code, text = await _run_until(path, tmp_path, "racewatch is running", SLACK_BOT_TOKEN="xoxb-1")
    assert code == 0, text
    assert "SLACK_APP_TOKEN is not set, so /race is off in Slack" in text
    assert "destination hook: TEAM_HOOK is not set" in text


def test_the_poll_summary_counts_one_source_in_the_singular() -> None:
    from bot.cli.run import poll_summary

    one = poll_summary([PollOutcome("a", ok=True, new_items=1, queued=1)])
    assert one == "polled 1 source: 1 ok, 0 failed; 1 new item, 1 alert"
    failed = poll_summary([PollOutcome("a", ok=False, error="cannot connect to x: refused")])
    assert failed == "polled 1 source: it failed: cannot connect to x: refused"
    two = poll_summary([PollOutcome("a", ok=True, new_items=2), PollOutcome("b", ok=True)])
    assert two == "polled 2 sources: 2 ok, 0 failed; 2 new items, 0 alerts"


def test_counts_read_as_a_person_writes_them() -> None:
    from bot.text import counted

    assert [counted(n, "item") for n in (0, 1, 2)] == ["0 items", "1 item", "2 items"]
