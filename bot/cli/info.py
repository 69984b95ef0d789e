"""Read-only views: ``sources``, ``orgs``, ``classify`` and ``gap``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
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
from bot.cli.output import emit_json, json_option, print_table
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
@json_option
@click.pass_context
def sources(click_ctx: click.Context, as_json: bool) -> None:
    """List sources with their status (or manage them: see subcommands)."""
    if click_ctx.invoked_subcommand is None:
        click_ctx.invoke(sources_list, as_json=as_json)


@sources.command("list")
@json_option
@pass_ctx
@fail_on_store_error
def sources_list(ctx: Context, as_json: bool = False) -> None:
    """Every source: status, last success, last error, next poll, items seen."""
    config = ctx.config()
    _engine, sessions = open_store(config.database_url)
    with sessions.begin() as session:
        now = datetime.now(UTC)
        sources_repo.sync_sources(
            session, config.sources, now, config.settings.poll.default_interval
        )
        rows = sources_repo.list_sources(session)
        if as_json:
            emit_json({"sources": [source_json(r) for r in rows]})
            return
        if not rows:
            console.print(
                "no sources: set default_sources or add some (racewatch sources add NAME URL)"
            )
            return
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
            table.add_column(col)
        for r in rows:
            status = r.status if r.status != "paused" else f"paused: {r.paused_reason or ''}"[:60]
            nxt = next_poll_text((r.next_poll_at - now).total_seconds())
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
    print_table(table, console)


def next_poll_text(wait: float) -> str:
    """When a source is polled next, for the `next poll` column ("now", "in 1 min", "in 2 h")."""
    if wait <= 60:
        return "now"
    if wait < 90:
        return "in 1 min"
    now = datetime.now(UTC)
    return f"in {ago(now - timedelta(seconds=wait), now).replace(' ago', '')}"


def source_json(r: Any) -> dict[str, Any]:
    """One source in ``racewatch sources --json`` (the shape the README documents)."""
    return {
        "name": r.name,
        "type": r.type,
        "url": r.url,
        "country": r.spec.get("country"),
        "status": r.status,
        "paused_reason": r.paused_reason,
        "last_success_at": r.last_success_at,
        "next_poll_at": r.next_poll_at,
        "items_seen": r.items_seen,
        "last_error": r.last_error,
        "backfill": r.spec.get("backfill", 0),
    }


@sources.command("add")
@click.argument("name")
@click.argument("url")
@click.option(
    "--backfill",
    type=click.IntRange(0, 50),
    default=0,
    show_default=True,
    help="Send the first poll's N newest items through the rules as if new (0: a silent baseline).",
)
@pass_ctx
@fail_on_store_error
def sources_add(ctx: Context, name: str, url: str, backfill: int) -> None:
    """Add a feed, stored like one added with /race sources add."""
    from bot.cli.ask_cmd import ask, show
    from bot.commands.requests import SourceAdd

    show(ask(ctx, SourceAdd(source=name, url=url, backfill=backfill)), False)


@sources.command("remove")
@click.argument("name")
@pass_ctx
@fail_on_store_error
def sources_remove(ctx: Context, name: str) -> None:
    """Remove a source added from chat or with sources add (its items stay)."""
    from bot.cli.ask_cmd import ask, show
    from bot.commands.requests import SourceRemove

    show(ask(ctx, SourceRemove(source=name)), False)


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
@json_option
@pass_ctx
@fail_on_store_error
def orgs(ctx: Context, query: tuple[str, ...], unknown: bool, check: bool, as_json: bool) -> None:
    """Show the organisation registry, or the entries matching QUERY."""
    if check:
        check_org_files(ctx, [Path(q) for q in query])
        return
    registry = load_org_registry(ctx.config())
    if unknown:
        print_unknown_uploaders(ctx.config(), registry, console, as_json)
        return
    hits = registry.search(" ".join(query))
    if as_json:
        emit_json(
            {
                "query": " ".join(query),
                "total": len(registry),
                "organisations": [org_json(o) for o in hits],
            }
        )
        return
    if not hits:
        console.print(f"no organisation matches '{' '.join(query)}'", markup=False)
        return
    table = Table(title=f"{len(hits)} of {len(registry)} organisations")
    for col in ("", "id", "name", "parent", "type", "names and products", "hubs"):
        table.add_column(col)
    for org in hits:
        names = ", ".join([*org.aliases, *org.products][:10])
        hubs = ", ".join([*(f"hf:{h}" for h in org.hf), *(f"gh:{g}" for g in org.github)][:5])
        cells = (flag(org.country), org.id, org.name, org.parent or "", org.type, names, hubs)
        table.add_row(*(Text(c) for c in cells))
    print_table(table, console)


def org_json(org: Any) -> dict[str, Any]:
    """One organisation in ``racewatch orgs --json``."""
    return {
        "id": org.id,
        "name": org.name,
        "country": org.country,
        "parent": org.parent,
        "type": org.type,
        "aliases": list(org.aliases),
        "products": list(org.products),
        "hf": list(org.hf),
        "github": list(org.github),
    }


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
    print_table(table, out)
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
@json_option
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
        if as_json:
            emit_json(scoreboard_json(scoreboard(session, datetime.now(UTC), days)))
            return
        if not queries_any_item(session):
            console.print("no data yet: the gap needs at least one poll (racewatch poll --once)")
            return
        months = print_gap(session, registry, console, days)
    if chart is not None:
        from bot.commands.cadence_chart import cadence_chart

        chart.write_bytes(cadence_chart(months, "Releases per month, last 12 months"))
        err_console.print(f"chart written to {chart}")


def queries_any_item(session: Session) -> bool:
    from sqlalchemy import select

    from bot.store.schema import Item

    return session.scalar(select(Item.id).limit(1)) is not None


def scoreboard_json(board: Scoreboard) -> dict[str, Any]:
    """``racewatch gap --json``: releases are stories of the kinds in ``release_kinds``."""
    return {
        "days": board.days,
        "since": board.since,
        "until": board.until,
        "total_items": board.total_items,
        "countries": [
            {
                "country": line.country,
                "releases": line.releases,
                "previous": line.previous,
                "open_weights": line.open_weights,
                "by_kind": line.by_kind,
                "leading": [{"org": o, "releases": n} for o, n in line.top_orgs],
            }
            for line in board.lines
        ],
        "best_rank": {c: {"rank": r, "model": m} for c, (r, m) in board.best_rank.items()},
    }


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
@json_option
@pass_ctx
@fail_on_store_error
def status(ctx: Context, as_json: bool) -> None:
    """The group of racewatch processes on this database: who is alive, leases, queues."""
    from bot.store import processes_repo

    config = ctx.config()
    _engine, sessions = open_store(config.database_url)
    now = datetime.now(UTC)
    with sessions.begin() as session:
        report = processes_repo.status(session, now)
    if as_json:
        emit_json(report)
        return
    if not any(p["alive"] for p in report["processes"]):  # type: ignore[attr-defined]
        console.print("no racewatch process is running (racewatch run starts one)")
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
    if report["processes"]:
        print_table(table, console)
    console.print(chat_holder(report["processes"]))  # type: ignore[arg-type]
    queues = Table(title="Outbox")
    states = ("pending", "held", "failed", "expired")
    for col in ("destination", *states):
        queues.add_column(col)
    for destination, counts in sorted(report["queues"].items()):  # type: ignore[attr-defined]
        queues.add_row(destination, *(str(counts.get(k, 0)) for k in states))
    if report["queues"]:
        print_table(queues, console)
    else:
        console.print("outbox: empty")
    for destination, count in report["unserved"].items():  # type: ignore[attr-defined]
        console.print(
            f"{count} alert(s) for '{destination}' wait for a process that serves it: no live "
            "process has that destination in its configuration"
        )
    sources_text = ", ".join(f"{n} {s}" for s, n in sorted(report["sources"].items()))  # type: ignore[attr-defined]
    console.print(f"sources: {sources_text or 'none'}; due now: {report['due_now']}")


def chat_holder(processes: list[dict[str, Any]]) -> str:
    """Which live process answers /race, and on which platforms."""
    for p in processes:
        if p["alive"] and "chat" in p["roles"]:
            platforms = ", ".join(r for r in p["roles"] if r != "chat") or "starting"
            return f"chat commands: answered by {p['owner']} ({platforms})"
    return "chat commands: no live process answers them (no chat tokens, or none running)"
