"""``racewatch why``, ``racewatch rules test`` and ``racewatch digest --now``."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from datetime import UTC, datetime, timedelta

import click
from rich.console import Console
from rich.text import Text
from sqlalchemy import select

from bot.cli import Context, cli, fail_on_store_error, pass_ctx
from bot.cli.output import emit_json, json_option
from bot.commands.explain import explain, find_item, to_classification
from bot.rules.facts import Facts, facts_for
from bot.rules.match import run_rules
from bot.rules.misses import closest_misses
from bot.runtime.app import load_org_registry, start_app
from bot.store.db import open_store
from bot.store.schema import Classification, Item, Source
from bot.text import terminal_line

console = Console(highlight=False)
MISS_SAMPLE = 5000  # the newest items a rule that matched nothing is measured against


@cli.command()
@click.argument("item")
@json_option
@pass_ctx
@fail_on_store_error
def why(ctx: Context, item: str, as_json: bool) -> None:
    """Explain every stage for one stored item (its id, link or source id)."""
    config = ctx.config()
    _engine, sessions = open_store(config.database_url)
    registry = load_org_registry(config)
    with sessions.begin() as session:
        found = find_item(session, item)
        if found is None:
            raise click.ClickException(
                f"no stored item matches '{item}' (try an id from "
                "'racewatch rules test' or the item's link)"
            )
        result = explain(
            session, found, registry, config.rules, config.mutes, config.settings.poll.max_item_age
        )
    if as_json:
        sections = [{"heading": h, "lines": list(lines)} for h, lines in result.sections]
        emit_json({"item_id": result.item_id, "title": result.title, "sections": sections})
        return
    console.print(f"[bold]item {result.item_id}:[/] ", end="")
    console.print(terminal_line(result.title), markup=False)
    for heading, lines in result.sections:  # stored text from feeds: no markup, no controls
        console.print(Text(terminal_line(heading), style="bold"))
        for line in lines:
            console.print(f"  {terminal_line(line)}", markup=False)


@cli.group()
def rules() -> None:
    """Work with watch rules."""


@rules.command("test")
@click.option("--days", type=click.IntRange(1, 3650), default=7, show_default=True)
@click.option(
    "--show",
    type=click.IntRange(0, 100),
    default=5,
    show_default=True,
    help="Example items to list per rule.",
)
@json_option
@pass_ctx
@fail_on_store_error
def rules_test(ctx: Context, days: int, show: int, as_json: bool) -> None:
    """Dry run: which rules would fire on the items stored in the last N days."""
    config = ctx.config()
    _engine, sessions = open_store(config.database_url)
    registry = load_org_registry(config)
    fired: dict[str, list[tuple[int, str]]] = defaultdict(list)
    muted = total = 0
    since = datetime.now(UTC) - timedelta(days=days)
    with sessions.begin() as session:
        rows = session.execute(
            select(Item, Classification, Source.name)
            .join(Classification, Classification.item_id == Item.id)
            .join(Source, Source.id == Item.source_id)
            .where(Item.fetched_at >= since)
            .order_by(Item.published_at.desc())
        )
        tested: list[tuple[str, Facts]] = []  # kept for the closest misses
        for item, cls_row, source_name in rows:
            total += 1
            facts = facts_for(item, to_classification(cls_row), source_name, registry)
            if len(tested) < MISS_SAMPLE:
                tested.append((f"#{item.id} {item.title[:70]}", facts))
            results = run_rules(
                config.rules,
                config.mutes,
                facts,
                item.fetched_at,
                config.settings.poll.max_item_age,
            )
            muted += any(r.muted for r in results)
            for r in results:
                if r.matched:
                    fired[r.rule].append((item.id, item.title))
    if as_json:
        verdicts = [
            {
                "rule": rule.name,
                "fired": len(fired.get(rule.name, [])),
                "examples": [{"id": i, "title": t} for i, t in fired.get(rule.name, [])[:show]],
            }
            for rule in config.rules
        ]
        emit_json({"days": days, "items": total, "muted": muted, "rules": verdicts})
        return
    if not total:
        console.print(
            f"no items stored in the last {days} days: nothing to test the rules on yet "
            "(racewatch poll --once stores some)"
        )
        return
    console.print(f"{total} items stored in the last {days} days; {muted} muted")
    for rule in config.rules:
        hits = fired.get(rule.name, [])
        console.print(f"[bold]{rule.name}[/]: would fire on {len(hits)}")
        for item_id, title in hits[:show]:
            console.print(f"  {item_id:>7}  {title[:90]}", markup=False)
        if not hits:
            for line in closest_misses(rule.when, tested).lines():
                console.print(f"  {line}", markup=False)


@cli.command()
@click.option("--now", "now", is_flag=True, required=True, help="Send every held digest now.")
@pass_ctx
@fail_on_store_error
def digest(ctx: Context, now: bool) -> None:
    """Send the alerts held for digests (and cap overflow) now."""
    config = ctx.config()
    store = open_store(config.database_url)

    async def go() -> int:
        app = await start_app(config, store=store)
        try:
            return await app.send_all_digests()
        finally:
            await app.close()

    click.echo(f"sent {asyncio.run(go())} held alerts in digests")
