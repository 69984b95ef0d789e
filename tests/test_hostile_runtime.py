"""Hostile timing: slow parses, slow servers and signals to the whole process group."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from bot.config.loader import load_config
from bot.errors import FetchError
from bot.runtime.app import start_app
from bot.sources.parsepool import ParserPool
from tests.conftest import LocalServer, rss
from tests.test_cli import _read_until


@pytest.mark.slow
async def test_an_overrunning_parse_costs_only_its_own_worker() -> None:
    pool = ParserPool(workers=2, timeout=1.5)
    try:
        await asyncio.gather(pool.run("warm-up", abs, 1), pool.run("warm-up", abs, 2))
        started = time.monotonic()
        slow = [pool.run(f"slow {i}", time.sleep, 30) for i in range(2)]
        quick = [pool.run(f"quick {i}", abs, -i) for i in range(6)]
        results = await asyncio.gather(*slow, *quick, return_exceptions=True)
        elapsed = time.monotonic() - started
    finally:
        pool.close()
    assert all(isinstance(r, FetchError) and "longer than" in str(r) for r in results[:2])
    assert results[2:] == [0, 1, 2, 3, 4, 5]  # queued behind the slow ones, and not punished
    assert pool.replaced == 2 and elapsed < 10


async def test_the_pool_never_runs_more_tasks_than_it_has_workers() -> None:
    pool = ParserPool(workers=2, timeout=30)
    try:
        results = await asyncio.gather(*(pool.run("n", abs, -i) for i in range(40)))
    finally:
        pool.close()
    assert results == list(range(40)) and pool.started == 2


@pytest.mark.slow
async def test_a_closed_pool_leaves_no_process_behind() -> None:
    pool = ParserPool(workers=2, timeout=30)
    busy = asyncio.ensure_future(pool.run("busy", time.sleep, 60))
    await pool.run("idle", abs, 1)
    processes = [w.process for w in pool._live]
    started = time.monotonic()
    await asyncio.to_thread(pool.close)
    assert time.monotonic() - started < 3
    assert processes and not any(p.is_alive() for p in processes)
    with pytest.raises(FetchError):
        await busy


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
async def test_signalling_the_whole_process_group_stops_racewatch_within_5_s(
    sig: signal.Signals,
    server: LocalServer,
    tmp_path: Path,
    write_config: Callable[[dict[str, Any]], Path],
) -> None:
    """Ctrl-C in a terminal, or systemctl stop, signals racewatch and its parser workers."""
    server.set("/feed.xml", rss([{"title": "Entry", "guid": "1"}]))
    path = write_config(
        {"sources": [{"name": "local", "url": server.url("/feed.xml"), "interval": "1s"}]}
    )
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "-c",
        str(path),
        "run",
        cwd=tmp_path,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        start_new_session=True,  # its own process group, as a shell gives a job
    )
    assert proc.stdout is not None
    seen: list[str] = []
    try:
        await _read_until(proc.stdout, "silent baseline", seen, 90)  # the workers are running
        started = time.monotonic()
        os.killpg(proc.pid, sig)
        await _read_until(proc.stdout, "stopped cleanly", seen, 10)
        code = await asyncio.wait_for(proc.wait(), 10)
        assert time.monotonic() - started < 5, "".join(seen)
        assert code == 0
        while _group_alive(proc.pid) and time.monotonic() - started < 5:
            await asyncio.sleep(0.1)
        assert not _group_alive(proc.pid), "a process of the group outlived racewatch"
    finally:
        if _group_alive(proc.pid):
            os.killpg(proc.pid, signal.SIGKILL)
        if proc.returncode is None:
            await proc.wait()
    assert "Traceback" not in "".join(seen), "".join(seen)


async def test_slow_drip_servers_never_hold_up_the_other_sources(
    server: LocalServer, write_config: Callable[[dict[str, Any]], Path]
) -> None:
    """Two servers that answer a byte every half second (under any read timeout) must not
    stretch the other sources' interval: each slow source holds one slot, not a batch."""

    async def drip(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "application/rss+xml"})
        await response.prepare(request)
        with contextlib.suppress(ConnectionError, asyncio.CancelledError):
            for _ in range(240):
                await response.write(b" ")
                await asyncio.sleep(0.5)
        return response

    server.set("/drip1", handler=drip)
    server.set("/drip2", handler=drip)
    server.set("/ok1.xml", rss([{"title": "One", "guid": "1"}]))
    server.set("/ok2.xml", rss([{"title": "Two", "guid": "2"}]))
    sources = [
        {"name": name, "url": server.url(path), "interval": "1s"}
        for name, path in (("ok1", "/ok1.xml"), ("ok2", "/ok2.xml"))
    ]
    slow_host = server.base.replace("127.0.0.1", "localhost")  # per-host limits apart
    sources += [{"name": f"drip{i}", "url": f"{slow_host}/drip{i}"} for i in (1, 2)]
    # four slots: two for the dripping sources, two left, so what is measured is whether a
    # poll waits for its slowest source, not the slot limit
    poll = {"jitter": 0, "concurrency": 4, "connect_timeout": "1s", "read_timeout": "10s"}
    app = await start_app(load_config(write_config({"sources": sources, "poll": poll}), env={}))

    async def tick_until(done: Callable[[], bool], limit: float) -> None:
        end = time.monotonic() + limit
        while not done() and time.monotonic() < end:
            await app._tick()
            await asyncio.sleep(0.2)

    try:  # first polls are spread out; wait until both slow sources are being fetched
        await tick_until(lambda: all(server.hits(f"/drip{i}") for i in (1, 2)), 10)
        await tick_until(lambda: len(server.hits("/ok1.xml")) >= 2, 10)  # its parse is warm
        before = len(server.hits("/ok1.xml"))
        await tick_until(lambda: False, 6)
        assert [len(server.hits(f"/drip{i}")) for i in (1, 2)] == [1, 1]  # still dripping
        assert len(server.hits("/ok1.xml")) - before >= 2, "slow sources held up the others"
    finally:
        await app._stop_tasks()
        await app.close()
