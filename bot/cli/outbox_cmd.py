"""``racewatch outbox``: the alerts not sent yet, and ``outbox retry`` for parked ones."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from bot.cli import Context, cli, fail_on_store_error, pass_ctx
from bot.cli.output import emit_json, json_option, print_table
from bot.delivery.console import ago
from bot.store import outbox_repo
from bot.store.db import open_store
from bot.text import terminal_line

console = Console(highlight=False)
STATES = ("pending", "uncertain", "held", "failed", "expired")


def state_option(fn: Any) -> Any:
    return click.option(
        "--state",
        "states",
        type=click.Choice(STATES),
        multiple=True,
        help="Only rows in this state (repeatable). Default: all but held.",
    )(fn)


def limit_option(fn: Any) -> Any:
    return click.option("-n", "limit", type=click.IntRange(1, 10_000), default=200)(fn)


@cli.group(invoke_without_command=True)
@state_option
@limit_option
@json_option
@click.pass_context
def outbox(click_ctx: click.Context, states: tuple[str, ...], limit: int, as_json: bool) -> None:
    """The alerts not sent yet: pending, uncertain (a process died mid-send), failed and
    expired (retried for the whole retry window); see `outbox retry`."""
    if click_ctx.invoked_subcommand is None:
        click_ctx.invoke(outbox_list, states=states, limit=limit, as_json=as_json)


@outbox.command("list")
@state_option
@limit_option
@json_option
@pass_ctx
@fail_on_store_error
def outbox_list(ctx: Context, states: tuple[str, ...], limit: int, as_json: bool) -> None:
    config = ctx.config()
    _engine, sessions = open_store(config.database_url)
    now = datetime.now(UTC)
    wanted = set(states or ("pending", "uncertain", "failed", "expired"))
    with sessions.begin() as session:
        rows = outbox_repo.list_rows(session, wanted, now, limit)
    if as_json:
        emit_json({"rows": [row_json(r) for r in rows]})
        return
    if not rows:
        console.print("the outbox is empty: every alert was sent")
        return
    table = Table(title="Outbox")
    for col in ("id", "destination", "state", "tries", "queued", "next try", "alert", "error"):
        table.add_column(col, justify="right" if col in ("id", "tries") else "left")
    for r in rows:
        table.add_row(
            str(r.id),
            r.destination,
            r.state,
            str(r.attempts),
            ago(r.created_at, now),
            ago(r.next_attempt_at, now) if r.state in ("pending", "uncertain") else "-",
            terminal_line(r.title)[:60],
            terminal_line(r.last_error or "")[:80] or "-",
        )
    print_table(table, console)
    if any(r.state in outbox_repo.PARKED for r in rows):
        console.print(
            "`racewatch outbox retry ID` (or `--all`) sends failed and expired ones again"
        )


def row_json(r: outbox_repo.OutboxRow) -> dict[str, Any]:
    return {
        "id": r.id,
        "destination": r.destination,
        "kind": r.kind,
        "state": r.state,
        "attempts": r.attempts,
        "title": r.title,
        "created_at": r.created_at,
        "next_attempt_at": r.next_attempt_at,
        "last_error": r.last_error,
    }


@outbox.command("retry")
@click.argument("delivery_id", metavar="ID", type=int, required=False)
@click.option("--all", "every", is_flag=True, help="Every failed and expired row.")
@pass_ctx
@fail_on_store_error
def outbox_retry(ctx: Context, delivery_id: int | None, every: bool) -> None:
    """Queue failed and expired alerts again (one by ID, or --all), due now, with a fresh
    retry window; a running racewatch sends them within seconds."""
    if (delivery_id is None) == (not every):
        raise click.UsageError("give one ID or --all")
    config = ctx.config()
    _engine, sessions = open_store(config.database_url)
    with sessions.begin() as session:
        ids = outbox_repo.requeue(session, delivery_id, datetime.now(UTC))
    if not ids:
        raise click.ClickException(
            f"no failed or expired alert with id {delivery_id}"
            if delivery_id is not None
            else "no failed or expired alert to retry"
        )
    click.echo(
        f"queued again: {len(ids)} alert(s) ({', '.join(map(str, ids[:20]))}"
        + (", ..." if len(ids) > 20 else "")
        + ")"
    )


@cli.group(invoke_without_command=True)
@json_option
@click.pass_context
def destinations(click_ctx: click.Context, as_json: bool) -> None:
    """Each destination: working or broken, since when, and the last refusal."""
    if click_ctx.invoked_subcommand is None:
        click_ctx.invoke(destinations_list, as_json=as_json)


@destinations.command("list")
@json_option
@pass_ctx
@fail_on_store_error
def destinations_list(ctx: Context, as_json: bool = False) -> None:
    config = ctx.config()
    _engine, sessions = open_store(config.database_url)
    now = datetime.now(UTC)
    with sessions.begin() as session:
        health = outbox_repo.destination_health(session)
    names = sorted(set(config.settings.destinations) | set(health))
    rows = [(n, config.settings.destinations.get(n), health.get(n)) for n in names]
    if as_json:
        emit_json(
            {
                "destinations": [
                    {
                        "name": n,
                        "type": spec.type if spec else None,
                        "status": h.status if h else "ok",
                        "since": h.since if h else None,
                        "checked_at": h.checked_at if h else None,
                        "last_refusal": h.reason if h else None,
                    }
                    for n, spec, h in rows
                ]
            }
        )
        return
    table = Table(title="Destinations")
    for col in ("destination", "type", "state", "since", "last check", "last refusal"):
        table.add_column(col)
    for n, spec, h in rows:
        broken = h is not None and h.status == "broken"
        table.add_row(
            n,
            spec.type if spec else "(not configured here)",
            "BROKEN" if broken else "ok",
            ago(h.since, now) if broken and h and h.since else "-",
            ago(h.checked_at, now) if broken and h and h.checked_at else "-",
            terminal_line(h.reason or "")[:100] if broken and h else "-",
        )
    print_table(table, console)
    if any(h is not None and h.status == "broken" for _n, _s, h in rows):
        console.print("fix what the refusal says, then `racewatch destinations resume NAME`")


@destinations.command("resume")
@click.argument("name")
@pass_ctx
@fail_on_store_error
def destinations_resume(ctx: Context, name: str) -> None:
    """Send to a broken destination again now (after fixing its token, channel or access);
    its waiting alerts go out at the next drain."""
    config = ctx.config()
    _engine, sessions = open_store(config.database_url)
    with sessions.begin() as session:
        resumed = outbox_repo.mark_working(session, name, datetime.now(UTC))
    if not resumed:
        raise click.ClickException(f"no broken destination named '{name}'")
    click.echo(f"resumed: {name}; its waiting alerts go out within seconds")
