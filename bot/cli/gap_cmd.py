"""``racewatch leaderboard import|list`` and the capability view of ``racewatch gap``."""

from __future__ import annotations

import json
import sys
from datetime import UTC, date, datetime
from pathlib import Path

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from bot.attribution.board_models import BoardResolver
from bot.boards import BoardRow, BoardSnapshot, arena_title
from bot.cli import Context, cli, err_console, fail_on_store_error, pass_ctx
from bot.errors import UserError
from bot.sources.board_files import BoardFileError, read_board_file
from bot.store.db import open_store
from bot.text import counted

console = Console(highlight=False, soft_wrap=True)


def show_capability(
    ctx: Context, arena: str, window: str, chart: Path | None, as_json: bool
) -> None:
    """Print the capability gap on one arena (and write its chart when asked)."""
    from bot.commands import capability

    config = ctx.config()
    try:
        query = capability.CapabilityQuery.parse(arena, window, config.settings.gap.within)
    except UserError as exc:
        err_console.print(f"racewatch: {exc}")
        sys.exit(2)
    _engine, sessions = open_store(config.database_url)
    with sessions.begin() as session:
        answer = capability.load(session, query, datetime.now(UTC).date())
    if as_json:
        json.dump(capability.as_json(answer), sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
    else:
        console.print(answer.title, style="bold", markup=False)
        for line in capability.lines(answer):
            console.print("  " + line, markup=False)
    if chart is not None and answer.gap.series:
        from bot.commands.capability_chart import capability_chart

        chart.write_bytes(capability_chart(answer.gap, answer.title, answer.markers))
        err_console.print(f"chart written to {chart}")
    elif chart is not None:
        err_console.print(f"no chart written to {chart}: no boards in this window", markup=False)


@cli.group()
def leaderboard() -> None:
    """Leaderboard history for the capability gap: import and list."""


@leaderboard.command("import")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--arena", help="The arena when a file does not say (text, vision, image, video…).")
@click.option(
    "--date",
    "day",
    type=click.DateTime(["%Y-%m-%d"]),
    help="The publish date when neither the rows nor the file name give one.",
)
@pass_ctx
@fail_on_store_error
def import_boards(
    ctx: Context, files: tuple[Path, ...], arena: str | None, day: datetime | None
) -> None:
    """Backfill history from LMArena's published tables (CSV) or dataset rows (JSON).

    Importing the same file twice changes nothing: each arena's board of a day is stored
    whole, replacing what was there for that day."""
    from bot.attribution.classify import Classifier
    from bot.runtime.app import board_resolver, load_org_registry
    from bot.store import boards_repo

    config = ctx.config()
    registry = load_org_registry(config)
    resolver = board_resolver(config, registry, Classifier(registry).matcher)
    _engine, sessions = open_store(config.database_url)
    failed = stored = unchanged = 0
    boards: dict[tuple[str, date], dict[str, BoardRow]] = {}
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        console=err_console,
        transient=not err_console.is_terminal,
    ) as progress:
        reading = progress.add_task("reading", total=len(files))
        for path in files:
            progress.update(reading, description=f"reading {path.name[:40]}")
            try:
                snapshots = read_board_file(
                    path, arena=arena, day=day.date() if day is not None else None
                )
            except BoardFileError as exc:
                err_console.print(f"racewatch: {exc}", markup=False)
                failed += 1
                snapshots = []
            for snapshot in snapshots:  # a board split over several files (pages) is one
                rows = boards.setdefault((snapshot.arena, snapshot.day), {})
                rows.update((r.model, r) for r in snapshot.rows)
            progress.advance(reading)
        saving = progress.add_task("storing boards", total=len(boards))
        for (name, when), rows in sorted(boards.items(), key=lambda kv: kv[0][1]):
            with sessions.begin() as session:
                saved = boards_repo.save_snapshot(
                    session,
                    BoardSnapshot(name, when, tuple(rows.values())),
                    lambda r: _resolved(resolver, r),
                )
            unchanged += saved.unchanged
            stored += not saved.unchanged
            progress.advance(saving)
    console.print(
        f"{counted(stored, 'board')} stored, {unchanged} already up to date, "
        f"{counted(failed, 'file')} refused",
        markup=False,
    )
    if failed:
        sys.exit(1)


def _resolved(resolver: BoardResolver, row: BoardRow) -> tuple[str | None, str | None]:
    found = resolver.resolve(row)
    return found.org_id, found.country


@leaderboard.command("list")
@pass_ctx
@fail_on_store_error
def list_boards(ctx: Context) -> None:
    """The arenas with stored boards and the days they cover."""
    from bot.store import boards_repo

    config = ctx.config()
    _engine, sessions = open_store(config.database_url)
    with sessions.begin() as session:
        spans = boards_repo.arenas(session)
    if not spans:
        console.print(
            "no leaderboard data yet: racewatch records a board each time it polls LMArena; "
            "`racewatch leaderboard import FILE` backfills history",
            markup=False,
        )
        return
    for span in spans:
        console.print(
            f"{span.arena:<15} {arena_title(span.arena)}: {span.days} days, "
            f"{span.first} to {span.last}",
            markup=False,
        )


@cli.command()
@click.option("--send", is_flag=True, help="Post it now to the configured destinations.")
@click.option("--chart", type=click.Path(path_type=Path), help="Write its chart as a PNG.")
@pass_ctx
@fail_on_store_error
def report(ctx: Context, send: bool, chart: Path | None) -> None:
    """The weekly state-of-the-race post: shown here, or posted now with --send.

    It goes out on its own each week when `state_of_the_race: {enabled: true}` is set;
    --send posts this week's where it has not gone yet (once per destination and week)."""
    import asyncio

    from bot.runtime.app import start_app
    from bot.store.db import open_store

    config = ctx.config()
    store = open_store(config.database_url)

    async def go() -> tuple[list[str], bytes | None, str, dict[str, str]]:
        app = await start_app(config, store=store)
        try:
            post = app.weekly_post()
            composed = await asyncio.to_thread(post.compose)
            outcomes = await post.send() if send else {}
            return composed.plain_lines(), composed.image, composed.title, outcomes
        finally:
            await app.close()

    lines, image, title, outcomes = asyncio.run(go())
    console.print(title, style="bold", markup=False)
    for line in lines:
        console.print(line, markup=False)
    if chart is not None and image is not None:
        chart.write_bytes(image)
        err_console.print(f"chart written to {chart}")
    for destination, outcome in outcomes.items():
        console.print(f"{destination}: {outcome}", markup=False)
    if send and not outcomes:
        console.print("another racewatch process is sending it now", markup=False)
