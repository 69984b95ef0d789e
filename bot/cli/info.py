"""Read-only views: ``sources``, ``orgs``, ``classify`` and ``gap``."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.table import Table
from rich.text import Text
from sqlalchemy.orm import Session

from bot.attribution.registry import Registry
from bot.attribution.vocab import flag
from bot.cli import Context, cli, err_console, fail_on_store_error, pass_ctx
from bot.cli.orgs_check import check_org_files
from bot.cli.unknown_orgs import print_unknown_uploaders
from bot.commands.cadence import cadence_lines
from bot.delivery.console import ago
from bot.runtime.app import load_org_registry
from bot.store import sources_repo
from bot.store.cadence import Cadence, cadence
from bot.store.db import open_store
from bot.store.stats import Scoreboard, scoreboard
from bot.text import terminal_line

console = Console(highlight=False)


@cli.group(invoke_without_command=True)
@click.pass_context
def sources(click_ctx: click.Context) -> None:
    """List sources with their status (or manage them: see subcommands)."""
    if click_ctx.invoked_subcommand is None:
        click_ctx.invoke(sources_list)


@sources.command("list")
@pass_ctx
@fail_on_store_error
def sources_list(ctx: Context) -> None:
    """Every source: status, last success, last error, next poll, items seen."""
    config = ctx.config()
    _engine, sessions = open_store(config.database_url)
    with sessions.begin() as session:
        now = datetime.now(UTC)
        sources_repo.sync_sources(
            session, config.sources, now, config.settings.poll.default_interval
        )
        rows = sources_repo.list_sources(session)
        table = Table(title=f"{len(rows)} sources", show_lines=False)
        for col in (
            "name",
            "type",
            "",
            "status",
            "last success",
            "next poll",
            "items",
            "last error or notice",
        ):
            table.add_column(col, overflow="fold")
        for r in rows:
            status = r.status if r.status != "paused" else f"paused: {r.paused_reason or ''}"[:60]
            wait = (r.next_poll_at - now).total_seconds()
            nxt = (
                "now"
                if wait <= 60
                else f"in {ago(now - (r.next_poll_at - now), now).replace(' ago', '')}"
            )
            remark = r.last_error or (f"note: {r.notice}" if r.notice else "")
            cells = (
                r.name,
                r.type,
                flag(r.spec.get("country")) if r.spec.get("country") else "",
                status,
                ago(r.last_success_at, now) if r.last_success_at else "never",
                nxt if r.status == "active" else "-",
                str(r.items_seen),
                remark[:120],
            )
            # errors quote what servers sent: plain text, never markup or escape sequences
            table.add_row(*(Text(terminal_line(c)) for c in cells))
    console.print(table)


@sources.command("resume")
@click.argument("name", required=False)
@pass_ctx
@fail_on_store_error
def sources_resume(ctx: Context, name: str | None) -> None:
    """Resume a paused source (or every paused source)."""
    config = ctx.config()
    _engine, sessions = open_store(config.database_url)
    with sessions.begin() as session:
        resumed = sources_repo.resume(session, name, datetime.now(UTC))
    if not resumed:
        raise click.ClickException(
            f"no paused source named '{name}'" if name else "no source is paused"
        )
    click.echo("resumed: " + ", ".join(resumed))


@cli.command()
@click.argument("query", nargs=-1)
@click.option(
    "--unknown",
    is_flag=True,
    help="List the hub namespaces seen that no organisation claims, with their item counts.",
)
@click.option(
    "--check",
    is_flag=True,
    help="Validate organisation files (the QUERY words are their paths; none: the registry "
    "in use). Exits with 2 on any problem.",
)
@pass_ctx
@fail_on_store_error
def orgs(ctx: Context, query: tuple[str, ...], unknown: bool, check: bool) -> None:
    """Show the organisation registry, or the entries matching QUERY."""
    if check:
        check_org_files(ctx, [Path(q) for q in query])
        return
    registry = load_org_registry(ctx.config())
    if unknown:
        print_unknown_uploaders(ctx.config(), registry, console)
        return
    hits = registry.search(" ".join(query))
    table = Table(title=f"{len(hits)} of {len(registry)} organisations")
    for col in ("", "id", "name", "parent", "type", "names and products", "hubs"):
        table.add_column(col, overflow="fold")
    for org in hits:
        names = ", ".join([*org.aliases, *org.products][:10])
        hubs = ", ".join([*(f"hf:{h}" for h in org.hf), *(f"gh:{g}" for g in org.github)][:5])
        table.add_row(flag(org.country), org.id, org.name, org.parent or "", org.type, names, hubs)
    console.print(table)


def print_scoreboard(board: Scoreboard, out: Console, names: dict[str, str] | None = None) -> None:
    """Releases are stories (models, open-source and product launches), not articles."""
    names = names or {}
    table = Table(
        title=f"The gap: last {board.days} days ({board.span})",
        caption=f"releases: models and products, each once however many outlets cover it "
        f"(re-uploads never count); vs prev.: change from the {board.days} days before; open "
        f"weights: share of releases; {board.total_items} items stored in the window",
    )
    for col, justify in (
        ("", "left"),
        ("releases", "right"),
        (f"vs prev. {board.days}d", "right"),
        ("open weights", "right"),
        ("leading (releases)", "left"),
    ):
        table.add_column(col, justify=justify)  # type: ignore[arg-type]
    for line in board.lines:
        change = line.releases - line.previous
        arrow = "▲" if change > 0 else "▼" if change < 0 else "="
        leading = ", ".join(f"{names.get(o, o)} {n}" for o, n in line.top_orgs)
        label = f"{flag(line.country)} {line.country}" if line.country != "other" else "🌐 other"
        table.add_row(
            label, str(line.releases), f"{arrow} {change:+d}", f"{line.open_share:.0%}", leading
        )
    out.print(table)
    for line in board.lines:
        if line.by_kind:
            out.print(f"  {line.country}: {line.breakdown()}", highlight=False)


@cli.command()
@click.option("--days", type=click.IntRange(1, 3650), default=30, show_default=True)
@click.option(
    "--capability",
    "arena",
    is_flag=False,
    flag_value="text",
    default=None,
    help="The capability gap on an arena instead: text, vision, image, video, webdev.",
)
@click.option("--window", default="90d", show_default=True, help="With --capability: 90d, 1y, all.")
@click.option(
    "--chart",
    type=click.Path(path_type=Path),
    help="Write a PNG: releases per month over 12 months (the capability chart with --capability).",
)
@click.option("--json", "as_json", is_flag=True, help="With --capability: JSON on stdout.")
@pass_ctx
@fail_on_store_error
def gap(
    ctx: Context, days: int, arena: str | None, window: str, chart: Path | None, as_json: bool
) -> None:
    """The scoreboard: releases by country and kind, against the previous window.

    With --capability [ARENA]: the best US model's leaderboard score against the best
    Chinese model's, over --window (the Stanford AI Index's measure)."""
    if arena is not None:
        from bot.cli.gap_cmd import show_capability

        show_capability(ctx, arena, window, chart, as_json)
        return
    config = ctx.config()
    _engine, sessions = open_store(config.database_url)
    registry = load_org_registry(config)
    with sessions.begin() as session:
        months = print_gap(session, registry, console, days)
    if chart is not None:
        from bot.commands.cadence_chart import cadence_chart

        chart.write_bytes(cadence_chart(months, "Releases per month, last 12 months"))
        err_console.print(f"chart written to {chart}")


def print_gap(session: Session, registry: Registry, out: Console, days: int) -> Cadence:
    """The scoreboard of the last ``days``, then cadence and openness over 12 months."""
    now = datetime.now(UTC)
    names = {o.id: o.name for o in registry.orgs.values()}
    print_scoreboard(scoreboard(session, now, days), out, names)
    out.print()
    months = cadence(session, now, registry)
    for line in cadence_lines(months, lambda o: names.get(o, o)):
        out.print(line, markup=False)
    return months


@cli.command()
@pass_ctx
@fail_on_store_error
def status(ctx: Context) -> None:
    """The group of racewatch processes on this database: who is alive, leases, queues."""
    from bot.store import processes_repo

    config = ctx.config()
    _engine, sessions = open_store(config.database_url)
    now = datetime.now(UTC)
    with sessions.begin() as session:
        report = processes_repo.status(session, now)
    table = Table(title="Processes")
    for col in ("process", "alive", "last heartbeat", "roles", "sources leased", "alerts leased"):
        table.add_column(col)
    for p in report["processes"]:  # type: ignore[attr-defined]
        table.add_row(
            p["owner"],
            "yes" if p["alive"] else "NO",
            ago(p["heartbeat_at"], now),
            ", ".join(p["roles"]) or "-",
            str(p["sources_leased"]),
            str(p["deliveries_leased"]),
        )
    console.print(table)
    console.print(chat_holder(report["processes"]))  # type: ignore[arg-type]
    queues = Table(title="Outbox")
    for col in ("destination", "pending", "held", "failed"):
        queues.add_column(col)
    for destination, counts in sorted(report["queues"].items()):  # type: ignore[attr-defined]
        queues.add_row(destination, *(str(counts.get(k, 0)) for k in ("pending", "held", "failed")))
    console.print(queues)
    sources_text = ", ".join(f"{n} {s}" for s, n in sorted(report["sources"].items()))  # type: ignore[attr-defined]
    console.print(f"sources: {sources_text or 'none'}; due now: {report['due_now']}")


def chat_holder(processes: list[dict[str, Any]]) -> str:
    """Which live process answers /race, and on which platforms."""
    for p in processes:
        if p["alive"] and "chat" in p["roles"]:
            platforms = ", ".join(r for r in p["roles"] if r != "chat") or "starting"
            return f"chat commands: answered by {p['owner']} ({platforms})"
    return "chat commands: no live process answers them (no chat tokens, or none running)"
