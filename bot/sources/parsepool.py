"""Parsing off the event loop, in worker processes, with a hard time limit.

A thread cannot be stopped, and feedparser has inputs that take seconds (its author-email
regex) or that a hostile server can craft; so parsing runs in a small process pool, and a
parse that overruns its limit gets its pool killed and replaced.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import multiprocessing.pool
import threading
from datetime import datetime
from typing import Any

from bot.errors import FetchError
from bot.sources.feeds import ParsedFeed, parse_feed

log = logging.getLogger(__name__)


class ParserPool:
    """``await pool.parse(...)`` runs :func:`parse_feed` in a worker process."""

    def __init__(self, workers: int = 2, timeout: float = 10.0) -> None:
        self.workers = max(1, workers)
        self.timeout = timeout
        self._pool: multiprocessing.pool.Pool | None = None
        self._lock = threading.Lock()

    def _get_pool(self) -> multiprocessing.pool.Pool:
        with self._lock:
            if self._pool is None:
                ctx = multiprocessing.get_context("spawn")
                self._pool = ctx.Pool(self.workers, maxtasksperchild=500)
            return self._pool

    def _kill(self, pool: multiprocessing.pool.Pool) -> None:
        with self._lock:
            if self._pool is pool:
                self._pool = None
        pool.terminate()

    async def parse(
        self, body: bytes, content_type: str | None, url: str, fetched_at: datetime
    ) -> ParsedFeed:
        pool = self._get_pool()
        pending = pool.apply_async(parse_feed, (body, content_type, url, fetched_at))
        try:
            result: Any = await asyncio.to_thread(pending.get, self.timeout)
        except multiprocessing.TimeoutError:
            log.warning(
                "parsing %s took over %.0f s; restarting the parser workers", url, self.timeout
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
        assert isinstance(result, ParsedFeed)
        return result

    def close(self) -> None:
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.terminate()
            pool.join()
