"""The only module that knows APScheduler: a dumb timer around the store-driven loops."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger

Scheduler = AsyncIOScheduler


def add_interval_job(
    scheduler: AsyncIOScheduler, job_id: str, seconds: float, func: Callable[[], Awaitable[None]]
) -> None:
    scheduler.add_job(
        func,
        "interval",
        seconds=seconds,
        id=job_id,
        replace_existing=True,
        next_run_time=datetime.now(UTC),
    )


def add_cron_job(
    scheduler: AsyncIOScheduler,
    job_id: str,
    expression: str,
    timezone: str,
    func: Callable[[], Awaitable[None]],
) -> None:
    scheduler.add_job(
        func,
        CronTrigger.from_crontab(expression, timezone=timezone),
        id=job_id,
        replace_existing=True,
    )


def build_scheduler(
    tick: Callable[[], Awaitable[None]],
    tick_every: float,
    drain: Callable[[], Awaitable[None]],
    drain_every: float,
) -> AsyncIOScheduler:
    """One job asks the store what is due; one drains the outbox. Neither ever overlaps itself."""
    scheduler = AsyncIOScheduler(
        timezone="UTC",
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 30},
    )
    scheduler.add_job(
        tick,
        "interval",
        seconds=tick_every,
        id="tick",
        replace_existing=True,
        next_run_time=datetime.now(UTC),
    )
    scheduler.add_job(
        drain,
        "interval",
        seconds=drain_every,
        id="outbox",
        replace_existing=True,
        next_run_time=datetime.now(UTC),
    )
    return scheduler
