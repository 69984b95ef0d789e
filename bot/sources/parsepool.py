"""Parsing off the event loop, in worker processes, with a hard time limit per task.

A thread cannot be stopped, and feedparser has inputs that take seconds (its author-email
regex) or that a hostile server can craft; so parsing runs in a few worker processes of our
own. Each task goes to an idle worker and its time limit runs from that moment (waiting
for a worker is not counted); a task that overruns costs its own worker, which is killed
and replaced, and no other task is touched. On Linux the limit also leaves out the time
the worker spent ready to run but waiting for a CPU (the kernel's run-queue wait), so a
busy machine slows healthy feeds down without failing them; a worker that gets no CPU at
all for ``STARVED_FACTOR`` times the limit is still replaced. At most one task per worker
is ever handed out; callers beyond that wait their turn on the event loop.

Workers ignore SIGINT and SIGTERM: Ctrl-C in a terminal and ``systemctl stop`` signal the
whole process group, and a worker dying mid-task under its owner must not be how shutdown
happens. The owner stops them (:meth:`ParserPool.close`, and at interpreter exit).
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import logging
import multiprocessing
import multiprocessing.util  # its exit hook is registered first, so ours runs before it
import os
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any

from bot.errors import FetchError
from bot.sources.feeds import ParsedFeed, parse_feed

log = logging.getLogger(__name__)

WORKER_NICENESS = 5
TASKS_PER_WORKER = 500  # then the worker is retired and a fresh one started (memory)
START_LIMIT = 60.0  # seconds a new worker may take to start (imports, initializer)
STOP_GRACE = 0.5  # seconds a worker gets to leave on its own at close before it is killed
STARVED_FACTOR = 30  # wall-clock backstop, in time limits, however busy the machine is


def _run_queue_wait(pid: int | None) -> float | None:
    """Seconds ``pid`` has spent runnable but waiting for a CPU, from the scheduler's own
    accounting (``/proc/PID/schedstat``: on-CPU ns, run-queue wait ns, timeslices);
    ``None`` where the kernel does not keep it."""
    if pid is None:
        return None
    try:
        with open(f"/proc/{pid}/schedstat", "rb") as f:
            return int(f.read().split()[1]) / 1e9
    except (OSError, ValueError, IndexError):
        return None


def _cpu_seconds(pid: int | None) -> float:
    """User and system CPU seconds ``pid`` has used (``/proc/PID/stat``); 0 where unknown."""
    if pid is None:
        return 0.0
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            fields = f.read().rsplit(b")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return 0.0


class TaskClock:
    """Time a worker has had for its task: wall-clock time since :meth:`start`, less the
    time it spent waiting for a CPU. ``wait`` reads the run-queue wait (injectable);
    without it, this is plain wall-clock time."""

    def __init__(
        self,
        wait: Callable[[], float | None],
        now: Callable[[], float] = time.monotonic,
    ) -> None:
        self._wait, self._now = wait, now
        self._wall0 = now()
        self._wait0 = wait()

    def wall(self) -> float:
        return self._now() - self._wall0

    def had(self) -> float:
        wall = self.wall()
        waited = self._wait()
        if waited is None or self._wait0 is None:
            return wall
        return max(0.0, wall - max(0.0, waited - self._wait0))

    def left(self, limit: float) -> float:
        """Seconds until ``limit`` is reached at the earliest; <= 0 once it is over."""
        if self.wall() >= limit * STARVED_FACTOR:
            return 0.0
        return limit - self.had()


def _serve(
    conn: Connection, initializer: Callable[..., None] | None, initargs: tuple[Any, ...]
) -> None:
    """A worker's life: run each ``(fn, args)`` received and send back ``(ok, value)``,
    until ``None`` arrives or the owner's end of the pipe closes.

    It runs at a lower priority than the process that owns it: parsing is batch work, and
    the owner answers chat commands, sends alerts and writes what the workers produce."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    with contextlib.suppress(OSError, AttributeError):  # not permitted, or not POSIX
        os.nice(WORKER_NICENESS)
    if initializer is not None:
        initializer(*initargs)
    conn.send("ready")  # the owner starts a task's clock only once the worker can run it
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):  # the owner is gone
            return
        if job is None:
            return
        fn, args = job
        try:
            reply: tuple[bool, Any] = (True, fn(*args))
        except Exception as exc:
            reply = (False, exc)
        try:
            conn.send(reply)
        except Exception as exc:  # the result or the exception would not pickle
            conn.send((False, RuntimeError(f"{type(exc).__name__}: {exc}")))


@dataclass(eq=False)  # each worker is itself, whatever its fields
class _Worker:
    process: BaseProcess
    conn: Connection
    tasks: int = 0

    def kill(self) -> None:
        with contextlib.suppress(OSError, ValueError):
            self.process.kill()
        self.process.join(5)
        self.conn.close()


class ParserPool:
    """``await pool.parse(...)`` runs :func:`parse_feed` in a worker process; ``await
    pool.run(fn, ...)`` runs any picklable function there, under the same time limit.

    ``initializer(*initargs)`` runs once in each worker as it starts (to build what the
    functions need, such as a classifier)."""

    def __init__(
        self,
        workers: int = 2,
        timeout: float = 10.0,
        initializer: Callable[..., None] | None = None,
        initargs: tuple[Any, ...] = (),
    ) -> None:
        self.workers = max(1, workers)
        self.timeout = timeout
        self.initializer, self.initargs = initializer, initargs
        self._idle: list[_Worker] = []
        self._live: set[_Worker] = set()
        self._lock = threading.Lock()
        self._slots: asyncio.Semaphore | None = None
        self._closed = False
        self.started = 0  # worker processes started, ever
        self.replaced = 0  # workers killed for overrunning their task's time limit
        self._gone_cpu = 0.0  # CPU seconds of workers no longer alive
        atexit.register(self.close)

    def _spawn(self) -> _Worker:
        ctx = multiprocessing.get_context("spawn")
        mine, theirs = ctx.Pipe(duplex=True)
        process = ctx.Process(
            target=_serve,
            args=(theirs, self.initializer, self.initargs),
            name="racewatch-parser",
            daemon=True,
        )
        process.start()
        theirs.close()
        worker = _Worker(process, mine)
        self.started += 1
        clock = TaskClock(lambda: _run_queue_wait(process.pid))
        try:
            ready = False
            while (left := clock.left(START_LIMIT)) > 0:
                if mine.poll(min(left, 1.0)):
                    ready = mine.recv() == "ready"
                    break
        except (EOFError, OSError):
            ready = False
        if not ready:
            worker.kill()
            raise FetchError(
                f"a parser process did not start within {START_LIMIT:.0f} s "
                f"(exit code {process.exitcode})"
            )
        with self._lock:
            if self._closed:
                worker.kill()
                raise FetchError("racewatch is stopping; the feed was not parsed")
            self._live.add(worker)
        return worker

    def _discard(self, worker: _Worker) -> None:
        with self._lock:
            self._live.discard(worker)
            self._gone_cpu += _cpu_seconds(worker.process.pid)
        worker.kill()

    def cpu_seconds(self) -> float:
        """CPU seconds every worker of this pool has used so far (Linux; for benchmarks)."""
        with self._lock:
            live = list(self._live)
            gone = self._gone_cpu
        return gone + sum(_cpu_seconds(w.process.pid) for w in live)

    async def parse(
        self, body: bytes, content_type: str | None, url: str, fetched_at: datetime
    ) -> ParsedFeed:
        result = await self.run(url, parse_feed, body, content_type, url, fetched_at)
        assert isinstance(result, ParsedFeed)
        return result

    async def run(self, label: str, fn: Callable[..., Any], *args: Any) -> Any:
        """``fn(*args)`` in an idle worker, within ``timeout`` seconds of the worker taking
        it; ``label`` names the work in messages."""
        if self._slots is None:
            self._slots = asyncio.Semaphore(self.workers)
        async with self._slots:
            worker = self._idle.pop() if self._idle else await asyncio.to_thread(self._spawn)
            try:
                ok, value = await self._call(worker, label, fn, args)
            except BaseException:  # overran, died, or we were cancelled mid-task
                await asyncio.to_thread(self._discard, worker)
                raise
            worker.tasks += 1
            if worker.tasks >= TASKS_PER_WORKER or self._closed:
                await asyncio.to_thread(self._discard, worker)
            else:
                self._idle.append(worker)
        if ok:
            return value
        if isinstance(value, FetchError):
            raise value
        # a crash inside feedparser is one feed's problem, not ours
        raise FetchError(
            f"the feed could not be parsed ({type(value).__name__}: {value})", permanent=True
        )

    async def _call(
        self, worker: _Worker, label: str, fn: Callable[..., Any], args: tuple[Any, ...]
    ) -> tuple[bool, Any]:
        loop = asyncio.get_running_loop()
        await asyncio.to_thread(worker.conn.send, (fn, args))
        pid = worker.process.pid
        clock = TaskClock(lambda: _run_queue_wait(pid))
        ready = loop.create_future()

        def readable() -> None:
            if not ready.done():
                ready.set_result(None)

        fd = worker.conn.fileno()
        loop.add_reader(fd, readable)
        try:
            while not ready.done():
                left = clock.left(self.timeout)
                if left <= 0:
                    raise TimeoutError
                # not wait_for: its timeout would cancel the future we wait on again
                await asyncio.wait({ready}, timeout=max(left, 0.05))
        except TimeoutError:
            self.replaced += 1
            log.warning("parsing %s took over %.0f s; its worker is replaced", label, self.timeout)
            raise FetchError(
                f"parsing took longer than {self.timeout:.0f} s; the feed was skipped"
            ) from None
        finally:
            loop.remove_reader(fd)
        try:
            reply: tuple[bool, Any] = await asyncio.to_thread(worker.conn.recv)
        except (EOFError, OSError):
            code = worker.process.exitcode
            raise FetchError(
                f"the parser process stopped while parsing (exit code {code})"
            ) from None
        return reply

    def close(self) -> None:
        """Stop every worker: idle ones leave when asked, busy ones are killed."""
        with self._lock:
            self._closed = True
            workers, self._live, self._idle = list(self._live), set(), []
        for worker in workers:
            with contextlib.suppress(OSError, ValueError):
                worker.conn.send(None)
        for worker in workers:
            worker.process.join(STOP_GRACE)
            worker.kill()
        atexit.unregister(self.close)
