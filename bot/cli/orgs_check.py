"""``racewatch orgs --check [FILE...]``: validate organisation files before racewatch uses them."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from bot.attribution.registry_check import check_files
from bot.cli import Context, print_problems
from bot.config.loader import load_config
from bot.errors import ConfigError
from bot.shipped import shipped_file


def check_org_files(ctx: Context, files: list[Path]) -> None:
    """Check ``files`` on top of the shipped registry; with none, the registry in use (the
    shipped file and the settings' ``organisations_files``). Exits with 2 on any problem."""
    shipped = shipped_file("orgs.yaml")
    if files:
        paths, base = files, [shipped]
    else:
        try:
            config = load_config(ctx.config_path)
        except ConfigError as exc:
            print_problems(exc.problems)
            sys.exit(2)
        folder = config.config_file.parent if config.config_file else Path.cwd()
        paths = [shipped, *(folder / f for f in config.settings.organisations_files)]
        base = []
    count, problems = check_files(paths, base)
    if problems:
        print_problems(problems)
        sys.exit(2)
    names = ", ".join(str(p) for p in paths)
    click.echo(f"organisations OK: {count} organisations ({names})")
