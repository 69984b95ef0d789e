"""The parse time limit under CPU pressure: time spent waiting for a CPU is not the feed's."""

from __future__ import annotations

import asyncio
import os
import sys
import time
from pathlib import Path

import pytest

from bot.errors import FetchError
from bot.sources.parsepool import STARVED_FACTOR, ParserPool, TaskClock

HAS_SCHEDSTAT = Path("/proc/self/schedstat").exists() and hasattr(os, "sched_setaffinity")


class Ticks:
    """A hand-driven wall clock and run-queue wait counter."""

    def __init__(self) -> None:
        self.wall = 100.0
        self.waited: float | None = 7.0

    def now(self) -> float:
        return self.wall

    def wait(self) -> float | None:
        return self.waited


def test_a_task_is_not_charged_for_time_spent_waiting_for_a_cpu() -> None:
    ticks = Ticks()
    clock = TaskClock(ticks.wait, ticks.now)
    ticks.wall += 9.0
    ticks.waited = 7.0 + 8.0  # 8 of those 9 seconds it was runnable but had no CPU
    assert clock.had() == pytest.approx(1.0)
    assert clock.left(10.0) == pytest.approx(9.0)


def test_a_task_that_sleeps_or_runs_is_charged_in_full() -> None:
    ticks = Ticks()
    clock = TaskClock(ticks.wait, ticks.now)
    ticks.wall += 12.0
    assert clock.left(10.0) == pytest.approx(-2.0)


def test_without_scheduler_accounting_the_limit_is_wall_clock_time() -> None:
    ticks = Ticks()
    ticks.waited = None
    clock = TaskClock(ticks.wait, ticks.now)
    ticks.wall += 4.0
    assert clock.had() == pytest.approx(4.0)


def test_a_worker_starved_of_any_cpu_is_still_replaced_in_the_end() -> None:
    ticks = Ticks()
    clock = TaskClock(ticks.wait, ticks.now)
    ticks.wall += 10.0 * STARVED_FACTOR
    ticks.waited = 7.0 + 10.0 * STARVED_FACTOR
    assert clock.had() == 0.0 and clock.left(10.0) <= 0


def spin_on_cpu(cpu: int, seconds: float) -> float:
    """Burn ``seconds`` of CPU time on one CPU (runs in a parser worker)."""
    os.sched_setaffinity(0, {cpu})
    end = time.process_time() + seconds
    while time.process_time() < end:
        pass
    return seconds


HOG = (
    "import os, sys; os.sched_setaffinity(0, {int(sys.argv[1])}); print(1, flush=True)\n"
    "while True: pass"
)


@pytest.mark.skipif(not HAS_SCHEDSTAT, reason="needs Linux scheduler statistics")
@pytest.mark.slow
async def test_a_healthy_parse_on_a_saturated_cpu_is_not_failed_for_time() -> None:
    """Two busy processes share the worker's CPU at a higher priority than the worker's:
    the task gets a small share of that CPU and takes several times its CPU time on the
    wall clock, past the limit; it still finishes, because only its own time counts."""
    cpu = sorted(os.sched_getaffinity(0))[-1]
    pool = ParserPool(workers=1, timeout=0.8)
    hogs = []
    try:
        await pool.run("warm-up", abs, 1)
        for _ in range(2):
            hog = await asyncio.create_subprocess_exec(
                sys.executable, "-c", HOG, str(cpu), stdout=asyncio.subprocess.PIPE
            )
            hogs.append(hog)
            assert hog.stdout is not None and (await hog.stdout.readline()).strip() == b"1"
        result = await pool.run("healthy feed", spin_on_cpu, cpu, 0.3)
    finally:
        for hog in hogs:
            hog.kill()
            await hog.wait()
        pool.close()
    assert result == 0.3 and pool.replaced == 0


@pytest.mark.skipif(not HAS_SCHEDSTAT, reason="needs Linux scheduler statistics")
@pytest.mark.slow
async def test_a_parse_that_overruns_on_its_own_time_is_still_stopped() -> None:
    pool = ParserPool(workers=1, timeout=0.5)
    try:
        with pytest.raises(FetchError, match="longer than"):
            await pool.run("runaway feed", spin_on_cpu, 0, 60.0)
        assert await pool.run("next feed", abs, -3) == 3  # a fresh worker takes the next one
    finally:
        pool.close()
    assert pool.replaced == 1
