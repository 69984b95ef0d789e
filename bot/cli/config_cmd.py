"""``racewatch config check``: every problem at once, with file, line and a hint."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from bot.attribution.registry import load_registry
from bot.cli import Context, cli, pass_ctx, print_problems
from bot.config.loader import load_config
from bot.errors import ConfigError


@cli.group("config")
def config_group() -> None:
    """Check the configuration."""


@config_group.command("check")
@click.argument("path", required=False, type=click.Path(path_type=Path))
@pass_ctx
def check(ctx: Context, path: Path | None) -> None:
    """Validate settings, sources, rules and organisations; exit 2 if anything is wrong."""
    path = path or ctx.config_path
    try:
        config = load_config(path)
        base = config.config_file.parent if config.config_file else Path.cwd()
        registry = load_registry([base / f for f in config.settings.organisations_files])
    except ConfigError as exc:
        print_problems(exc.problems)
        sys.exit(2)
    where = (
        str(config.config_file) if config.config_file else "built-in defaults (no settings file)"
    )
    click.echo(f"configuration OK: {where}")
    click.echo(
        f"  {len(config.sources)} sources, {len(config.rules)} rules, {len(config.mutes)} mutes, "
        f"{len(config.settings.destinations)} destinations, {len(registry)} organisations"
    )
    click.echo(f"  database: {config.database_url}")
    for note in config.notes:
        click.echo(f"  note: {note}")
