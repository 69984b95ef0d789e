"""``racewatch demo``: the real pipeline over a bundled snapshot served on loopback."""

from __future__ import annotations

import asyncio
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import yaml
from rich.console import Console
from rich.rule import Rule

from bot.cli import Context, cli, pass_ctx
from bot.cli.info import print_gap
from bot.config.loader import load_config
from bot.demo.server import DemoServer
from bot.runtime.app import App, start_app


async def run_demo(console: Console, folder: Path) -> int:
    server = DemoServer()
    base = await server.start()
    settings = {
        "database_url": f"sqlite:///{folder / 'demo.sqlite3'}",
        "default_sources": False,
        "sources": server.sources_yaml(),
        "hub": {"huggingface_endpoint": base},
        "destinations": {"console": {"type": "console"}},
        "poll": {"jitter": 0.0},
    }
    path = folder / "racewatch.yaml"
    path.write_text(yaml.safe_dump(settings, sort_keys=False), encoding="utf-8")
    config = load_config(path, env={})
    try:
        app = await start_app(config, console=console)
    except BaseException:
        await server.stop()
        raise
    try:
        console.print(
            f"racewatch demo always uses a temporary database ({folder}), deleted when it "
            "ends: your own settings and database are never touched.\n",
            markup=False,
            soft_wrap=True,
        )
        console.print(Rule("1. first poll: everything already published is a silent baseline"))
        first = await app.poll_once(force=True)
        stored = sum(o.new_items for o in first)
        console.print(
            f"polled {len(first)} sources from {base}, stored {stored} existing items, "
            "sent no alerts (no flood of old news on day one)\n"
        )
        server.advance()
        console.print(
            Rule("2. next poll: new releases appear; racewatch posts one alert per story")
        )
        second = await app.poll_once(force=True)
        new = sum(o.new_items for o in second)
        unchanged = sum(1 for o in second if o.not_modified)
        console.print(
            f"\n{new} new items from {len(second)} sources ({unchanged} unchanged, answered "
            f"304 or same content); rules: {', '.join(r.name for r in config.rules)}\n"
        )
        console.print(Rule("3. the gap, from everything stored"))
        with app.sessions.begin() as session:
            print_gap(session, app.outbox.registry, console, 30)
        show_capability_demo(app, console)
        console.print(
            "\nThat was the real pipeline (HTTP fetch, feedparser, attribution, rules, stories, "
            "outbox) on a bundled snapshot.\nNext: racewatch run   (polls the real sources; "
            "alerts print here until you configure Discord or Slack)"
        )
        return 0
    finally:
        await app.close()
        await server.stop()


def show_capability_demo(app: App, console: Console) -> None:
    """Step 4: the capability gap, from a bundled leaderboard history imported as a user
    would (``racewatch leaderboard import``) into the demo's database."""
    from bot.commands import capability
    from bot.sources.board_files import read_board_file
    from bot.store import boards_repo

    assert app.sessions is not None and app.poller is not None
    console.print(Rule("4. the capability gap: best US model against best Chinese model"))
    folder = Path(__file__).resolve().parent.parent / "demo" / "boards"
    with app.sessions.begin() as session:
        for path in sorted(folder.glob("*.csv")):
            for snapshot in read_board_file(path):
                boards_repo.save_snapshot(session, snapshot, app.poller.resolve_board_row)
    console.print(
        "(an illustrative weekly leaderboard history shaped on LMArena's 2025 standings, "
        "bundled with the demo; `racewatch leaderboard import` loads the real one)\n",
        style="dim",
    )
    for arena in ("text", "video"):
        with app.sessions.begin() as session:
            query = capability.CapabilityQuery.parse(arena, "all")
            answer = capability.load(session, query, datetime.now(UTC).date())
        console.print(answer.title, style="bold", markup=False)
        for line in capability.lines(answer):
            console.print("  " + line, markup=False)
        console.print()


@cli.command()
@pass_ctx
def demo(ctx: Context) -> None:
    """Replay a bundled offline snapshot through the real pipeline, in a temporary database."""
    ctx.config()  # a broken personal config should still be reported, even here
    console = Console(highlight=False)
    with tempfile.TemporaryDirectory(prefix="racewatch-demo-") as folder:
        code = asyncio.run(run_demo(console, Path(folder)))
    raise SystemExit(code)
