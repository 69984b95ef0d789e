"""Fault injection for end-to-end delivery tests: platform fakes that misbehave on a seeded
schedule, a TCP proxy that can cut every database connection, a SQLite lock window, real
``racewatch run`` processes that can be killed with SIGKILL, and a count of what arrived.

Every fault here is one the delivery promise ("never lost, never doubled") has to survive.
A run is reproducible from its seed (``FAULT_INJECTION_SEED``); failures print it.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import hashlib
import json
import os
import random
import signal
import sqlite3
import sys
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web

from tests.fakes import FakeDiscord, FakeSlack, json_response

ORGS = ["DeepSeek", "OpenAI", "Moonshot AI", "Anthropic", "Zhipu AI", "Alibaba"]


def seed() -> int:
    """The run's seed: ``FAULT_INJECTION_SEED`` to replay a failure, else a fresh one."""
    return int(os.environ.get("FAULT_INJECTION_SEED") or random.SystemRandom().randrange(10**6))


def headlines(count: int, salt: str) -> list[dict[str, str]]:
    """``count`` distinct release headlines that the race rule alerts on (CN and US orgs)."""
    out = []
    for n in range(count):
        words = " ".join(hashlib.sha1(f"{salt}-{n}-{k}".encode()).hexdigest()[:6] for k in range(3))
        title = f"{ORGS[n % len(ORGS)]} unveils {words}"
        out.append({"title": title, "guid": f"{salt}-{n}", "link": f"https://news.example/{n}"})
    return out


@dataclass
class FaultPlan:
    """Which fault each platform request meets: a weighted draw from a seeded generator.

    ``rate_limit``: 429 with Retry-After; ``server_error``: 503 before accepting;
    ``reset``: the connection closed before accepting; ``hang``: no answer for ``hang_for``
    seconds, then a reset (never accepted). Late answers are the fakes' ``delay``: the
    message is accepted and the answer comes slowly, the window a kill -9 should land in.
    """

    rng: random.Random
    rate_limit: float = 0.0
    server_error: float = 0.0
    reset: float = 0.0
    hang: float = 0.0
    hang_for: float = 2.0
    storm_until: float = 0.0  # time.monotonic() before which every request gets a 429
    seen: collections.Counter[str] = field(default_factory=collections.Counter)

    def storm(self, seconds: float) -> None:
        self.storm_until = time.monotonic() + seconds

    def draw(self) -> str:
        if time.monotonic() < self.storm_until:
            fault = "rate_limit"
        else:
            roll, fault = self.rng.random(), "none"
            for name in ("rate_limit", "server_error", "reset", "hang"):
                roll -= getattr(self, name)
                if roll < 0:
                    fault = name
                    break
        self.seen[fault] += 1
        return fault


async def _misbehave(
    plan: FaultPlan, request: web.Request, rate_limited: web.Response
) -> web.StreamResponse | None:
    """The answer for a request that meets a fault, or None to handle it normally."""
    fault = plan.draw()
    if fault == "rate_limit":
        return rate_limited
    if fault == "server_error":
        return web.Response(status=503, text="upstream unavailable")
    if fault == "hang":
        await asyncio.sleep(plan.hang_for)
    if fault in ("hang", "reset"):
        assert request.transport is not None
        request.transport.close()
        return web.Response(status=500)
    return None


@dataclass
class ChaosSlack(FakeSlack):
    """FakeSlack whose chat.postMessage meets the plan's faults."""

    plan: FaultPlan = field(default_factory=lambda: FaultPlan(random.Random(0)))

    async def _post(self, request: web.Request) -> web.StreamResponse:
        limited = json_response(
            {"ok": False, "error": "ratelimited"}, status=429, headers={"Retry-After": "1"}
        )
        return await _misbehave(self.plan, request, limited) or await super()._post(request)


@dataclass
class ChaosDiscord(FakeDiscord):
    """FakeDiscord whose channel messages meet the plan's faults, and that answers an accepted
    message only after ``delay`` seconds."""

    plan: FaultPlan = field(default_factory=lambda: FaultPlan(random.Random(0)))
    delay: float = 0.0

    async def _message(self, request: web.Request) -> web.StreamResponse:
        body = {"message": "You are being rate limited.", "retry_after": 0.5, "global": False}
        limited = json_response(body, status=429, headers={"Retry-After": "0.5"})
        answer = await _misbehave(self.plan, request, limited) or await super()._message(request)
        if self.delay and answer.status == 200:
            await asyncio.sleep(self.delay)
        return answer

    async def _webhook(self, request: web.Request) -> web.StreamResponse:
        """A channel webhook's posts meet the same faults and the same late answers."""
        body = {"message": "You are being rate limited.", "retry_after": 0.5, "global": False}
        limited = json_response(body, status=429, headers={"Retry-After": "0.5"})
        answer = await _misbehave(self.plan, request, limited) or await super()._webhook(request)
        if self.delay and answer.status == 200:
            await asyncio.sleep(self.delay)
        return answer


def arrivals(posts: Iterable[dict[str, Any]], titles: Iterable[str]) -> collections.Counter[str]:
    """How many posted messages carry each headline (a message names one alert)."""
    texts = [json.dumps(p, ensure_ascii=False, default=str) for p in posts]
    return collections.Counter({t: sum(t in text for text in texts) for t in titles})


@dataclass(frozen=True)
class Tally:
    scenario: str
    deliveries: int
    lost: int
    duplicated: int
    kills: int
    faults: dict[str, int]

    def line(self) -> str:
        faults = ", ".join(f"{k} {v}" for k, v in sorted(self.faults.items()) if k != "none")
        return (
            f"fault-injection {self.scenario}: {self.deliveries} deliveries, {self.kills} kills, "
            f"faults [{faults}], lost {self.lost}, duplicated {self.duplicated}"
        )


def tally(scenario: str, counts: collections.Counter[str], kills: int, plan: FaultPlan) -> Tally:
    result = Tally(
        scenario,
        len(counts),
        sum(1 for n in counts.values() if n == 0),
        sum(n - 1 for n in counts.values() if n > 1),
        kills,
        dict(plan.seen),
    )
    print(result.line())  # collected for BENCHMARKS.md with pytest -s
    return result


class PgProxy:
    """A loopback TCP proxy in front of PostgreSQL that can cut every connection at once and
    refuse new ones for a while: a database outage as the racewatch processes see it."""

    def __init__(self, host: str, port: int) -> None:
        self.upstream = (host, port)
        self.port = 0
        self.down = False
        self.cuts = 0
        self._writers: set[asyncio.StreamWriter] = set()
        self._server: asyncio.Server | None = None

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        self._drop_all()
        if self._server is not None:
            self._server.close()

    def _drop_all(self) -> None:
        for writer in list(self._writers):
            writer.transport.abort()
        self._writers.clear()

    async def outage(self, seconds: float) -> None:
        """Cut every open connection and refuse new ones for ``seconds``."""
        self.down, self.cuts = True, self.cuts + 1
        self._drop_all()
        await asyncio.sleep(seconds)
        self.down = False

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self.down:
            writer.transport.abort()
            return
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.upstream)
        except OSError:
            writer.transport.abort()
            return
        self._writers |= {writer, up_writer}
        await asyncio.gather(_pipe(reader, up_writer), _pipe(up_reader, writer))
        self._writers -= {writer, up_writer}


class ThreadedPgProxy:
    """A PgProxy on its own thread and event loop, for tests whose racewatch runs in the test's
    own loop (its synchronous database calls would otherwise block the proxy)."""

    def __init__(self, host: str, port: int) -> None:
        self.proxy = PgProxy(host, port)
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)

    @property
    def port(self) -> int:
        return self.proxy.port

    def start(self) -> None:
        self.thread.start()
        asyncio.run_coroutine_threadsafe(self.proxy.start(), self.loop).result(10)

    def cut(self, down: bool = True) -> None:
        """Cut every connection and refuse new ones (``down``), or let them through again."""

        def apply() -> None:
            self.proxy.down = down
            if down:
                self.proxy.cuts += 1
                self.proxy._drop_all()

        self.loop.call_soon_threadsafe(apply)

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self.proxy.stop(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except (ConnectionError, OSError):
        pass
    finally:
        writer.transport.abort()


@contextlib.asynccontextmanager
async def sqlite_locked(path: Path, seconds: float) -> AsyncIterator[None]:
    """Hold the SQLite database's write lock for ``seconds`` (longer than racewatch's busy
    timeout makes its writes fail with "database is locked"); yields once the lock is held."""
    held = threading.Event()

    def hold() -> None:
        conn = sqlite3.connect(path, timeout=30, isolation_level=None)
        try:
            conn.execute("BEGIN EXCLUSIVE")
            held.set()
            time.sleep(seconds)
            conn.execute("ROLLBACK")
        finally:
            conn.close()

    thread = threading.Thread(target=hold, daemon=True)
    thread.start()
    await asyncio.to_thread(held.wait, 30)
    try:
        yield
    finally:
        await asyncio.to_thread(thread.join)


@dataclass
class Fleet:
    """Real ``racewatch run`` processes on one settings file, each logging to its own file."""

    config: Path
    env: dict[str, str]
    folder: Path
    processes: list[asyncio.subprocess.Process] = field(default_factory=list)
    kills: int = 0

    async def start(self) -> asyncio.subprocess.Process:
        log = (self.folder / f"process-{len(self.processes)}.log").open("wb")
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "-c",
            str(self.config),
            "run",
            cwd=self.folder,
            env={**os.environ, **self.env, "PYTHONUNBUFFERED": "1"},
            stdout=asyncio.subprocess.DEVNULL,
            stderr=log,
        )
        log.close()
        self.processes.append(process)
        return process

    async def kill(self, process: asyncio.subprocess.Process) -> None:
        process.send_signal(signal.SIGKILL)
        await process.wait()
        self.kills += 1

    def alive(self) -> list[asyncio.subprocess.Process]:
        return [p for p in self.processes if p.returncode is None]

    async def stop(self) -> None:
        for process in self.alive():
            process.send_signal(signal.SIGTERM)
        for process in self.processes:
            try:
                await asyncio.wait_for(process.wait(), 20)
            except TimeoutError:
                process.kill()
                await process.wait()

    def logs(self) -> str:
        return "\n".join(
            f"--- {p.name}\n{p.read_text(errors='replace')[-2500:]}"
            for p in sorted(self.folder.glob("process-*.log"))
        )


async def until(predicate: Callable[[], bool], limit: float, what: str = "") -> None:
    try:
        async with asyncio.timeout(limit):
            while not predicate():
                await asyncio.sleep(0.05)
    except TimeoutError:
        raise AssertionError(f"timed out after {limit:.0f} s waiting for {what}") from None
