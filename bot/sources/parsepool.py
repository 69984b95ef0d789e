"""Parsing off the event loop, in worker processes, with a hard time limit.

A thread cannot be stopped, and feedparser has inputs that take seconds (its author-email
regex) or that a hostile server can craft; so parsing runs in a small process pool, and a
parse that overruns its limit gets its pool killed and replaced.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing
import multiprocessing.pool
import os
import threading
from collections.abc import Callable
from datetime import datetime
from typing import Any

from bot.errors import FetchError
from bot.sources.feeds import ParsedFeed, parse_feed

log = logging.getLogger(__name__)


WORKER_NICENESS = 5


def _start_worker(initializer: Callable[..., None] | None, initargs: tuple[Any, ...]) -> None:
    """Each worker starts at a lower priority than the process that owns it: parsing is
    batch work, and the owner answers chat commands, sends alerts and writes what the
    workers produce, so when the cores are busy the owner goes first. The workers still
    get every cycle the owner does not need."""
    with contextlib.suppress(OSError, AttributeError):  # not permitted, or not POSIX
        os.nice(WORKER_NICENESS)
    if initializer is not None:
        initializer(*initargs)


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
        self._pool: multiprocessing.pool.Pool | None = None
        self._lock = threading.Lock()

    def _get_pool(self) -> multiprocessing.pool.Pool:
        with self._lock:
            if self._pool is None:
                ctx = multiprocessing.get_context("spawn")
                self._pool = ctx.Pool(
                    self.workers,
                    _start_worker,
                    (self.initializer, self.initargs),
                    maxtasksperchild=500,
                )
            return self._pool

    def _kill(self, pool: multiprocessing.pool.Pool) -> None:
        with self._lock:
            if self._pool is pool:
                self._pool = None
        pool.terminate()

    async def parse(
        self, body: bytes, content_type: str | None, url: str, fetched_at: datetime
    ) -> ParsedFeed:
        result = await self.run(url, parse_feed, body, content_type, url, fetched_at)
        assert isinstance(result, ParsedFeed)
        return result

    async def run(self, label: str, fn: Callable[..., Any], *args: Any) -> Any:
        """``fn(*args)`` in a worker. The event loop is woken by the pool's own result
        thread, so a wait holds no thread of ours; ``label`` names the work in messages."""
        loop = asyncio.get_running_loop()
        done: asyncio.Future[Any] = loop.create_future()

        def settle(value: Any, error: BaseException | None) -> None:
            if done.done():
                return
            if error is None:
                done.set_result(value)
            else:
                done.set_exception(error)

        def relay(value: Any, error: BaseException | None = None) -> None:
            with contextlib.suppress(RuntimeError):  # the loop closed while we parsed
                loop.call_soon_threadsafe(settle, value, error)

        pool = self._get_pool()
        pool.apply_async(fn, args, callback=relay, error_callback=lambda exc: relay(None, exc))
        try:
            return await asyncio.wait_for(done, self.timeout)
        except TimeoutError:
            log.warning(
                "parsing %s took over %.0f s; restarting the parser workers", label, self.timeout
            )
            await asyncio.to_thread(self._kill, pool)
            raise FetchError(
                f"parsing took longer than {self.timeout:.0f} s; the feed was skipped"
            ) from None
        except FetchError:
            raise
        except Exception as exc:  # a crash inside feedparser is one feed's problem, not ours
            raise FetchError(
                f"the feed could not be parsed ({type(exc).__name__}: {exc})", permanent=True
            ) from None

    def close(self) -> None:
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.terminate()
            pool.join()
