"""``racewatch run``, ``racewatch poll --once`` and ``racewatch db upgrade``."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal

import click

from bot.cli import Context, cli, err_console, fail_on_store_error, pass_ctx
from bot.runtime.app import App
from bot.store.db import make_engine, upgrade

log = logging.getLogger(__name__)


async def _run(app: App) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):  # Windows has no signal handlers
            loop.add_signal_handler(sig, stop.set)
    await app.start()
    try:
        await app.run_forever(stop)
    finally:
        await app.close()
        log.info("stopped cleanly")


@cli.command()
@pass_ctx
@fail_on_store_error
def run(ctx: Context) -> None:
    """Run racewatch: poll sources on their schedules and send alerts until stopped."""
    config = ctx.config()
    for note in config.notes:
        log.info("%s", note)
    app = App(config)
    app.open_store()
    log.info(
        "database: %s", app.engine.url.render_as_string(hide_password=True) if app.engine else "?"
    )
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_run(app))


@cli.command()
@click.option("--once", is_flag=True, required=True, help="One full cycle, then exit.")
@click.option("--all", "force", is_flag=True, help="Poll every source now, not only the due ones.")
@pass_ctx
@fail_on_store_error
def poll(ctx: Context, once: bool, force: bool) -> None:
    """Poll due sources once, deliver what matched, and exit (for cron and debugging)."""
    config = ctx.config()
    app = App(config)
    app.open_store()

    async def go() -> list[object]:
        await app.start()
        try:
            return list(await app.poll_once(force=force))
        finally:
            await app.close()

    outcomes = asyncio.run(go())
    ok = sum(1 for o in outcomes if getattr(o, "ok", False))
    new = sum(getattr(o, "new_items", 0) for o in outcomes)
    queued = sum(getattr(o, "queued", 0) for o in outcomes)
    err_console.print(
        f"polled {len(outcomes)} sources: {ok} ok, {len(outcomes) - ok} failed; "
        f"{new} new items, {queued} alerts"
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
