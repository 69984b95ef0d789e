"""The ``racewatch`` command line. Each sub-module adds one group of commands.

Sub-modules are imported only when one of their commands runs (``LazyGroup``), so
``racewatch --help`` and ``--version`` never load SQLAlchemy, discord.py, Slack or matplotlib.
"""

from __future__ import annotations

import ast
import importlib
import pkgutil
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click
from dotenv import load_dotenv
from rich.console import Console
from rich.markup import escape

from bot import __version__
from bot.errors import ConfigError, Problem, SetupError, StoreError
from bot.logs import setup_logging

if TYPE_CHECKING:
    from bot.config.loader import Config

F = TypeVar("F", bound=Callable[..., Any])
err_console = Console(stderr=True, highlight=False, soft_wrap=True)


def print_problems(problems: list[Problem]) -> None:
    noun = "problem" if len(problems) == 1 else "problems"
    err_console.print(f"[bold red]racewatch: {len(problems)} configuration {noun}[/]")
    for p in problems:
        place = f"{p.file}:{p.line}" if p.line else p.file
        text = f"{p.where}: {p.message}" if p.where else p.message
        err_console.print(f"  [bold]{escape(place)}[/]  {escape(text)}", highlight=False)
        if p.hint:
            err_console.print(f"      hint: {p.hint}", style="dim", markup=False)


class Context:
    def __init__(self, config_path: Path | None, log_format: str | None, verbose: int) -> None:
        self.config_path = config_path
        self.log_format = log_format
        self.verbose = verbose
        self._config: Config | None = None

    def config(self) -> Config:
        if self._config is None:
            from bot.config.loader import load_config

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
    """Store errors (unwritable folder, newer database) end the command with a clear line and
    exit code 3; set-up errors (a port already taken) with exit code 2."""
    import functools

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except (StoreError, SetupError) as exc:
            err_console.print(f"[bold red]racewatch:[/] {escape(str(exc))}", highlight=False)
            sys.exit(3 if isinstance(exc, StoreError) else 2)

    return wrapper  # type: ignore[return-value]


def scan_commands() -> dict[str, tuple[str, str]]:
    """Every top-level command of this package, read from the source with ``ast`` (importing
    the modules is what ``--help`` must not do): name -> (module, help text)."""
    found: dict[str, tuple[str, str]] = {}
    for path in sorted(Path(__file__).parent.glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in tree.body:
            if isinstance(node, ast.FunctionDef):
                for deco in node.decorator_list:
                    name_help = _registration(deco, node)
                    if name_help is not None:
                        found[name_help[0]] = (path.stem, name_help[1])
    return found


def _registration(deco: ast.expr, fn: ast.FunctionDef) -> tuple[str, str] | None:
    """``@cli.command(...)`` or ``@cli.group(...)`` on ``fn``: its name and help, as click
    derives them (the name from the function when not given, the help from the docstring)."""
    call = deco if isinstance(deco, ast.Call) else None
    target = call.func if call is not None else deco
    if not (
        isinstance(target, ast.Attribute)
        and isinstance(target.value, ast.Name)
        and target.value.id == "cli"
        and target.attr in ("command", "group")
    ):
        return None
    given = {k.arg: k.value for k in call.keywords} if call is not None else {}
    if call is not None and call.args:
        given["name"] = call.args[0]
    values = {k: v.value for k, v in given.items() if isinstance(v, ast.Constant)}
    name = values.get("name")
    if not isinstance(name, str):
        name = fn.name.lower().replace("_", "-")
        left, sep, suffix = name.rpartition("-")
        name = left if sep and suffix in ("command", "cmd", "group", "grp") else name
    text = values.get("short_help") or values.get("help") or ast.get_docstring(fn) or ""
    return name, str(text).split("\f")[0]


def load_all_commands() -> None:
    """Import every module of this package (each registers its commands on ``cli``)."""
    for module in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{module.name}")


class LazyGroup(click.Group):
    """A group whose sub-commands are imported on first use (found by ``scan_commands``)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*scan_commands(), *self.commands})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands:
            where = scan_commands().get(cmd_name)
            if where is not None:
                importlib.import_module(f"{__name__}.{where[0]}")
            if cmd_name not in self.commands:  # registered some other way: look everywhere
                load_all_commands()
        return self.commands.get(cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        scanned = scan_commands()
        names = self.list_commands(ctx)
        limit = formatter.width - 6 - max(len(n) for n in names)
        rows = []
        for name in names:
            if name in scanned and name not in self.commands:
                text = click.Command(name, help=scanned[name][1]).get_short_help_str(limit)
            else:
                command = self.get_command(ctx, name)
                text = command.get_short_help_str(limit) if command else ""
            rows.append((name, text))
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
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
    cli(prog_name="racewatch")
