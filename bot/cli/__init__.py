"""The ``racewatch`` command line. Each sub-module adds one group of commands."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click
from dotenv import load_dotenv
from rich.console import Console

from bot import __version__
from bot.config.loader import Config, load_config
from bot.errors import ConfigError, Problem, StoreError
from bot.logs import setup_logging

F = TypeVar("F", bound=Callable[..., Any])
err_console = Console(stderr=True, highlight=False, soft_wrap=True)


def print_problems(problems: list[Problem]) -> None:
    noun = "problem" if len(problems) == 1 else "problems"
    err_console.print(f"[bold red]racewatch: {len(problems)} configuration {noun}[/]")
    for p in problems:
        place = f"{p.file}:{p.line}" if p.line else p.file
        err_console.print(
            f"  [bold]{place}[/]  {p.where}: {p.message}"
            if p.where
            else f"  [bold]{place}[/]  {p.message}",
            markup=True,
            highlight=False,
        )
        if p.hint:
            err_console.print(f"      hint: {p.hint}", style="dim")


class Context:
    def __init__(self, config_path: Path | None, log_format: str | None, verbose: int) -> None:
        self.config_path = config_path
        self.log_format = log_format
        self.verbose = verbose
        self._config: Config | None = None

    def config(self) -> Config:
        if self._config is None:
            try:
                self._config = load_config(self.config_path)
            except ConfigError as exc:
                print_problems(exc.problems)
                sys.exit(2)
            settings = self._config.settings
            setup_logging(settings.log_level, self.log_format or settings.log_format, self.verbose)
        return self._config


pass_ctx = click.make_pass_decorator(Context)


def fail_on_store_error(fn: F) -> F:
    """Store errors (unwritable folder, newer database) end the command with a clear line."""
    import functools

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except StoreError as exc:
            err_console.print(f"[bold red]racewatch:[/] {exc}", highlight=False)
            sys.exit(3)

    return wrapper  # type: ignore[return-value]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="racewatch")
@click.option(
    "--config",
    "-c",
    "config_path",
    type=click.Path(path_type=Path),
    help="Settings file (default: $RACEWATCH_CONFIG or the user config folder).",
)
@click.option(
    "--log-format",
    type=click.Choice(["text", "json"]),
    default=None,
    help="Readable text (default) or one JSON object per line.",
)
@click.option("-v", "--verbose", count=True, help="More detail in the log (-vv for libraries too).")
@click.pass_context
def cli(ctx: click.Context, config_path: Path | None, log_format: str | None, verbose: int) -> None:
    """racewatch: watch the US-China AI race and post attributed alerts to chat."""
    load_dotenv(Path.cwd() / ".env", override=False)
    setup_logging("info", log_format or "text", verbose)
    ctx.obj = Context(config_path, log_format, verbose)


def main() -> None:
    from bot.cli import (  # noqa: F401  (each module registers its commands)
        bench_cmd,
        chat_cmd,
        classify_cmd,
        config_cmd,
        demo,
        eval_cmd,
        gap_cmd,
        info,
        rules_cmd,
        run,
    )

    cli(prog_name="racewatch")
