"""The command line as a user meets it: real processes, real signals, real exit codes."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import LocalServer, rss


def racewatch(*args: str, cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "100", "PYTHONUNBUFFERED": "1"}
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=cwd,
        env=env,
        text=True,
        capture_output=True,
        timeout=timeout,
        check=False,
    )


@pytest.mark.slow
def test_demo_shows_chinese_and_us_alerts_and_the_gap(tmp_path: Path) -> None:
    result = racewatch("demo", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "🇨🇳 CN · model release" in out and "🇺🇸 US · model release" in out
    assert "Kimi K2" in out and "Introducing GPT-5" in out
    assert out.count("Qwen3") >= 1 and "also reported by" in out
    assert "The gap" in out and "releases" in out
    # the breakdown adds up to the table and labels its numbers
    flat = " ".join(out.split())
    # Qwen2.5-Max (the blog) and Qwen2.5 (the 72B upload) are two releases, weeks apart
    assert "CN: 6 releases = 6 model releases + 0 product launches" in flat
    assert "open-weights share" in flat and "not releases: 1 business story" in flat
    assert "GGUF" not in out  # the shipped mute keeps re-uploads out
    cards = out.split("╭─")[1:]
    for release in ("V3.1", "Llama 4", "Llama-4", "Qwen3"):  # one alert per release
        assert sum(release in card for card in cards) <= 1, release
    assert sum("V3.1" in c for c in cards) == 1 and sum("lama" in c for c in cards) == 1


@pytest.mark.slow
def test_config_check_lists_every_problem_with_lines_and_exits_2(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "destinations:\n  team: {type: consol}\nrules:\n  - name: x\n    when: {contry: CN}\n"
    )
    result = racewatch("config", "check", str(bad), cwd=tmp_path)
    assert result.returncode == 2
    assert f"{bad}:2" in result.stderr and f"{bad}:5" in result.stderr
    assert "did you mean 'country'?" in result.stderr


@pytest.mark.slow
def test_config_check_accepts_the_defaults(tmp_path: Path) -> None:
    result = racewatch("config", "check", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "configuration OK" in result.stdout and "organisations" in result.stdout


@pytest.mark.slow
def test_a_newer_database_is_refused_with_exit_3(tmp_path: Path) -> None:
    import sqlite3

    db = tmp_path / "rw.sqlite3"
    cfg = tmp_path / "c.yaml"
    cfg.write_text(f"database_url: sqlite:///{db}\ndefault_sources: false\n")
    assert racewatch("-c", str(cfg), "db", "upgrade", cwd=tmp_path).returncode == 0
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE alembic_version SET version_num='future'")
    result = racewatch("-c", str(cfg), "poll", "--once", cwd=tmp_path)
    assert result.returncode == 3 and "newer racewatch" in result.stderr


async def _read_until(
    stream: asyncio.StreamReader, text: str, seen: list[str], limit: float
) -> None:
    async def go() -> None:
        while not any(text in line for line in seen):
            line = await stream.readline()
            if not line:
                raise AssertionError(f"process ended before printing {text!r}:\n{''.join(seen)}")
            seen.append(line.decode(errors="replace"))

    await asyncio.wait_for(go(), limit)


async def test_run_polls_alerts_survives_a_dead_source_and_stops_on_sigint(
    server: LocalServer, tmp_path: Path, write_config: Callable[[dict[str, Any]], Path]
) -> None:
    server.set("/feed.xml", rss([]), etag='"1"')
    path = write_config(
        {
            "sources": [
                {"name": "local", "url": server.url("/feed.xml"), "interval": "1s"},
                {"name": "offline", "url": "http://127.0.0.1:9/feed.xml", "interval": "1s"},
            ],
            "rules": [{"name": "all-cn", "when": {"country": "CN"}}],
            "poll": {"jitter": 0},
        }
    )
    env = {**os.environ, "COLUMNS": "120", "PYTHONUNBUFFERED": "1"}
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "-c",
        str(path),
        "run",
        cwd=tmp_path,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    assert proc.stdout is not None
    seen: list[str] = []
    try:
        await _read_until(proc.stdout, "silent baseline", seen, 60)
        await _read_until(proc.stdout, "offline: cannot connect", seen, 30)
        server.set(
            "/feed.xml",
            rss(
                [
                    {
                        "title": "DeepSeek releases V3.2 open-weights model",
                        "guid": "ds",
                        "link": "https://api-docs.deepseek.com/news",
                    }
                ]
            ),
            etag='"2"',
        )
        await _read_until(proc.stdout, "DeepSeek releases V3.2", seen, 30)
        proc.send_signal(signal.SIGINT)
        # a clean stop, not a kill; how fast is a timing question for a quiet machine (it
        # takes under 5 s there), never a wall-clock assertion on a shared one
        await _read_until(proc.stdout, "stopped cleanly", seen, 60)
        code = await asyncio.wait_for(proc.wait(), 30)
        assert code == 0
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    text = "".join(seen)
    assert "Traceback" not in text, text
    assert server.hits("/feed.xml")[-1].get("If-None-Match") in ('"1"', '"2"')
