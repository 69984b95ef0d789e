"""``racewatch bench [SCENARIO]``: figures anyone can reproduce, with their targets."""

from __future__ import annotations

import asyncio
import logging
import os
import platform
import sys

import click
from rich.console import Console
from rich.table import Table

from bot.bench import scenarios
from bot.cli import cli


@cli.command()
@click.argument("scenario", required=False, type=click.Choice(sorted(scenarios.SCENARIOS)))
@click.option(
    "--large", is_flag=True, help="Also measure commands at 1,000,000 stored items (slow)."
)
def bench(scenario: str | None, large: bool) -> None:
    """Run one benchmark scenario, or all of them, and print a table.

    Exits 1 when any figure misses its target (so CI or a script can tell)."""
    logging.getLogger().setLevel(logging.ERROR)
    console = Console(highlight=False)
    console.print(
        f"racewatch bench on {platform.node()}: {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, {platform.platform()}"
    )
    names = [scenario] if scenario else list(scenarios.SCENARIOS)
    missed: list[str] = []
    for name in names:
        if name == "commands" and large:
            rows = asyncio.run(scenarios.commands((10_000, 100_000, 1_000_000)))
        else:
            rows = asyncio.run(scenarios.SCENARIOS[name]())
        table = Table(title=name)
        for col in ("measure", "value", "target", ""):
            table.add_column(col)
        for row in rows:
            table.add_row(*row)
        console.print(table)
        missed += [
            f"{name}: {row[0]} {row[1]} (target {row[2]})"
            for row in rows
            if row[3] == scenarios.MISSED
        ]
    if missed:
        what = (
            "1 figure missed its target"
            if len(missed) == 1
            else f"{len(missed)} figures missed their targets"
        )
        console.print(f"{what}:", style="bold red")
        for line in missed:
            console.print(f"  {line}", markup=False)
        sys.exit(1)
