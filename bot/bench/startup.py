"""Start-up: what a fresh racewatch process pays before any work (a cron ``poll --once``).

Each figure comes from a new process that reports its own CPU time and peak memory as it
exits, so nothing of the bench's own process is counted."""

from __future__ import annotations

import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

Row = tuple[str, str, str, str]

# runs racewatch's entry point and, at exit, says what the process used
_PROBE = """
import atexit, resource, sys
def said():
    me = resource.getrusage(resource.RUSAGE_SELF)
    sys.stderr.write(f"\\nracewatch-probe {me.ru_utime + me.ru_stime} {me.ru_maxrss}\\n")
atexit.register(said)
sys.argv = ["racewatch", *sys.argv[1:]]
from bot.cli import main
main()
"""


def _probe(args: list[str], cwd: Path) -> tuple[float, float]:
    """(CPU seconds, peak RSS in MB) of one fresh ``racewatch ARGS``."""
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )
    for line in reversed(done.stderr.splitlines()):
        if line.startswith("racewatch-probe "):
            cpu, rss_kb = line.split()[1:3]
            return float(cpu), float(rss_kb) / 1024
    raise RuntimeError(f"racewatch {' '.join(args)} said nothing: {done.stderr[-500:]}")


def _spread(values: list[float], unit: str) -> str:
    low, mid, high = min(values), statistics.median(values), max(values)
    return f"{low:.2f} / {mid:.2f} / {high:.2f} {unit}"


def _verdict(ok: bool) -> str:
    return "ok" if ok else "MISSED"


def _measure(runs: int) -> list[Row]:
    load = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "racewatch.yaml").write_text(
            f"database_url: sqlite:///{folder / 'rw.sqlite3'}\n"
            "default_sources: false\n"
            "destinations: {file: {type: jsonl, path: alerts.jsonl}}\n"
        )
        poll = ["-c", "racewatch.yaml", "poll", "--once"]
        _probe(poll, folder)  # creates the schema: later runs find it current
        helps = [_probe(["--help"], folder) for _ in range(runs)]
        polls = [_probe(poll, folder) for _ in range(runs)]
    help_cpu = [c for c, _ in helps]
    poll_cpu = [c for c, _ in polls]
    poll_rss = [r for _, r in polls]
    return [
        ("machine load (1, 5, 15 min) at the start", " ".join(f"{x:.2f}" for x in load), "", ""),
        (
            f"racewatch --help, CPU, min / median / max of {runs}",
            _spread(help_cpu, "s"),
            "< 0.3 s",
            _verdict(statistics.median(help_cpu) < 0.3),
        ),
        (
            "poll --once on a current schema, nothing due: CPU (all of it before a first fetch)",
            _spread(poll_cpu, "s"),
            "< 0.8 s",
            _verdict(statistics.median(poll_cpu) < 0.8),
        ),
        (
            "  the same, peak memory of the process",
            _spread(poll_rss, "MB"),
            "< 80 MB",
            _verdict(statistics.median(poll_rss) < 80),
        ),
    ]


async def startup(runs: int = 5) -> list[Row]:
    return await asyncio.to_thread(_measure, runs)
