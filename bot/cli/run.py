"""``racewatch run``, ``racewatch poll --once`` and ``racewatch db upgrade``."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import sys
from typing import TYPE_CHECKING

import click

from bot.cli import Context, cli, err_console, fail_on_store_error, pass_ctx, print_problems
from bot.config.loader import Config
from bot.delivery.preflight import chat_problems, destination_problems
from bot.errors import ConfigError
from bot.runtime.app import Store, start_app
from bot.runtime.poller import PollOutcome
from bot.store.db import make_engine, open_store, upgrade
from bot.text import counted

if TYPE_CHECKING:
    from rich.progress import Progress

log = logging.getLogger(__name__)


async def _run(config: Config, store: Store) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):  # Windows has no signal handlers
            loop.add_signal_handler(sig, stop.set)
    app = await start_app(config, store=store)
    with contextlib.suppress(NotImplementedError, AttributeError):
        loop.add_signal_handler(signal.SIGHUP, app.reload_rules)
    try:
        await app.start_chat()
        await app.start_server()
        await app.run_forever(stop)
    finally:
        await app.close()
        log.info("stopped cleanly")


def warn_about_setup(config: Config) -> None:
    """What ``racewatch doctor`` would flag without asking the platforms, as warnings: a chat
    feature or a destination that would otherwise be silently off."""
    settings = config.settings
    for problem in chat_problems(settings.platforms, os.environ):
        log.warning("%s", problem)
    for name, spec in settings.destinations.items():
        for problem in destination_problems(spec, os.environ):
            log.warning("destination %s: %s", name, problem)


@cli.command()
@pass_ctx
@fail_on_store_error
def run(ctx: Context) -> None:
    """Run racewatch: poll sources on their schedules and send alerts until stopped."""
    config = ctx.config()
    for note in config.notes:
        log.info("%s", note)
    warn_about_setup(config)
    store = open_store(config.database_url)
    log.info("database: %s", store[0].url.render_as_string(hide_password=True))
    try:
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(_run(config, store))
    except ConfigError as exc:  # e.g. Slack HTTP mode without its signing secret
        print_problems(exc.problems)
        sys.exit(2)


@cli.command()
@click.option("--once", is_flag=True, required=True, help="One full cycle, then exit.")
@click.option("--all", "force", is_flag=True, help="Poll every source now, not only the due ones.")
@pass_ctx
@fail_on_store_error
def poll(ctx: Context, once: bool, force: bool) -> None:
    """Poll due sources once, deliver what matched, and exit (for cron and debugging)."""
    config = ctx.config()
    store = open_store(config.database_url)

    async def go(progress: Progress | None) -> list[PollOutcome]:
        app = await start_app(config, store=store)
        task = progress.add_task("polling", total=0) if progress else None
        try:
            return await app.poll_once(
                force=force,
                on_claimed=lambda n: (
                    progress.update(task, total=n) if progress and task is not None else None
                ),
                on_done=lambda o: (
                    progress.update(task, advance=1, description=o.source)
                    if progress and task is not None
                    else None
                ),
            )
        finally:
            await app.close()

    if err_console.is_terminal:
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            SpinnerColumn,
            TextColumn,
        )

        with Progress(
            SpinnerColumn(),
            TextColumn("{task.description:<28}"),
            BarColumn(),
            MofNCompleteColumn(),
            console=err_console,
            transient=True,
        ) as progress:
            outcomes = asyncio.run(go(progress))
    else:
        outcomes = asyncio.run(go(None))
    click.echo(poll_summary(outcomes))
    if outcomes and not any(o.ok for o in outcomes):
        sys.exit(1)


def poll_summary(outcomes: list[PollOutcome]) -> str:
    """One line for ``poll --once``; it says so when every source polled failed."""
    if not outcomes:
        return "polled 0 sources: none is due now (racewatch poll --once --all polls every source)"
    ok = sum(1 for o in outcomes if o.ok)
    new = sum(o.new_items for o in outcomes)
    queued = sum(o.queued for o in outcomes)
    polled = f"polled {counted(len(outcomes), 'source')}"
    if ok == 0:
        errors = {o.error for o in outcomes}
        why = f": {errors.pop()}" if len(errors) == 1 else " (see the log above)"
        failed = "it failed" if len(outcomes) == 1 else f"all {len(outcomes)} failed"
        return f"{polled}: {failed}{why}"
    return (
        f"{polled}: {ok} ok, {len(outcomes) - ok} failed; "
        f"{counted(new, 'new item')}, {counted(queued, 'alert')}"
    )


@cli.group()
def db() -> None:
    """Database maintenance."""


@db.command("upgrade")
@pass_ctx
@fail_on_store_error
def db_upgrade(ctx: Context) -> None:
    """Apply database migrations (racewatch also does this on start)."""
    config = ctx.config()
    engine = make_engine(config.database_url)
    before, after = upgrade(engine)
    where = engine.url.render_as_string(hide_password=True)
    if before == after:
        click.echo(f"{where} is up to date (schema {after})")
    else:
        click.echo(f"{where} upgraded from {before or 'empty'} to {after}")
