"""What ``/race`` answers, on the command line: ``latest``, ``search``, ``org`` and ``watch``.

Each command builds the same typed request the chat adapters build and hands it to the same
handlers (:class:`bot.commands.handlers.Commands`), as an admin: whoever can run racewatch
against its database owns it. Rules added here are stored like chat rules, so every running
racewatch process picks them up within a minute.
"""

from __future__ import annotations

import asyncio
import getpass
import json
from datetime import UTC, datetime

import click

from bot.attribution.vocab import KINDS
from bot.cli import Context, cli, fail_on_store_error, pass_ctx
from bot.cli.output import emit_json, json_option, out
from bot.commands.countries import country_code
from bot.commands.reply import Reply
from bot.commands.requests import (
    Caller,
    Latest,
    OrgInfo,
    Request,
    Search,
    WatchAdd,
    WatchList,
    WatchPreview,
    WatchRemove,
)
from bot.commands.text import Words, rule_fields
from bot.errors import UserError


def ask(ctx: Context, request: Request) -> Reply:
    """``request`` answered by the ``/race`` handlers over this configuration's database."""
    from bot.commands.context import CommandContext
    from bot.commands.handlers import Commands
    from bot.rules.model import Mute, Rule
    from bot.runtime.app import load_org_registry
    from bot.store import rules_repo
    from bot.store.db import open_store

    config = ctx.config()
    settings = config.settings
    engine, sessions = open_store(config.database_url)

    def rules() -> tuple[list[Rule], list[Mute]]:
        with sessions.begin() as session:
            chat = rules_repo.chat_rules(session)
        return [*config.rules, *chat], list(config.mutes)

    commands = Commands(
        CommandContext(
            sessions=sessions,
            registry=load_org_registry(config),
            rules=rules,
            max_age=settings.poll.max_item_age,
            destinations=list(settings.destinations),
            clock=lambda: datetime.now(UTC),
            command=settings.platforms.command,
            max_chat_rules=settings.platforms.max_chat_rules,
            max_chat_sources=settings.platforms.max_chat_sources,
        )
    )
    caller = Caller(f"cli:{getpass.getuser()}", is_admin=True, workspace="cli")
    try:
        return asyncio.run(commands.run(request, caller))
    except UserError as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        commands.close()
        engine.dispose()


def show(reply: Reply, as_json: bool) -> None:
    """A reply as chat shows it, one line each (a link after its text), or as JSON:
    ``{"title": str, "lines": [{"text": str, "url": str | null}]}``."""
    if as_json:
        emit_json(
            {
                "title": reply.title,
                "lines": [{"text": line.text, "url": line.url} for line in reply.lines],
            }
        )
        return
    out.print(reply.title, style="bold", markup=False, soft_wrap=True)
    for line in reply.lines:
        text = f"{line.text}  {line.url}" if line.url else line.text
        out.print(text, markup=False, soft_wrap=True)


@cli.command()
@click.option("--country", help="A country code or name: CN, US, China...")
@click.option("--org", help="An organisation's name or id, as racewatch orgs lists them.")
@click.option("--kind", type=click.Choice(sorted(KINDS)), help="Only this kind of release.")
@click.option("-n", "count", type=click.IntRange(1, 20), default=5, show_default=True)
@json_option
@pass_ctx
@fail_on_store_error
def latest(
    ctx: Context, country: str | None, org: str | None, kind: str | None, count: int, as_json: bool
) -> None:
    """The newest releases racewatch flagged, as /race latest shows them."""
    code = country_code(country) if country else None
    if country and code is None:
        raise click.BadParameter(
            f"'{country}' is not a country racewatch knows", param_hint="--country"
        )
    show(ask(ctx, Latest(country=code, org=org, kind=kind, n=count)), as_json)


@cli.command()
@click.argument("text", nargs=-1, required=True)
@json_option
@pass_ctx
@fail_on_store_error
def search(ctx: Context, text: tuple[str, ...], as_json: bool) -> None:
    """Search the stored items' headlines and summaries, as /race search does."""
    show(ask(ctx, Search(text=" ".join(text)[:300])), as_json)


@cli.command()
@click.argument("query", nargs=-1, required=True)
@json_option
@pass_ctx
@fail_on_store_error
def org(ctx: Context, query: tuple[str, ...], as_json: bool) -> None:
    """One organisation: country, parent, names, hubs and its latest releases (/race org)."""
    show(ask(ctx, OrgInfo(query=" ".join(query)[:120])), as_json)


@cli.group(invoke_without_command=True)
@json_option
@click.pass_context
def watch(click_ctx: click.Context, as_json: bool) -> None:
    """Watch rules stored like chat rules: list, add, remove, preview."""
    if click_ctx.invoked_subcommand is None:
        click_ctx.invoke(watch_list, as_json=as_json)


@watch.command("list")
@json_option
@pass_ctx
@fail_on_store_error
def watch_list(ctx: Context, as_json: bool) -> None:
    """Every rule in force: from files (📄) and from chat or this command (💬)."""
    show(ask(ctx, WatchList()), as_json)


@watch.command("add")
@click.argument("rule")
@click.argument("conditions", nargs=-1, required=True)
@pass_ctx
@fail_on_store_error
def watch_add(ctx: Context, rule: str, conditions: tuple[str, ...]) -> None:
    """Add rule RULE from FIELD=VALUE conditions and actions, as /race watch add takes them:
    racewatch watch add cn-video country=CN modality=video notify=ai-race"""
    words = Words()
    for word in conditions:
        key, sep, value = word.partition("=")
        if not sep or not key:
            raise click.BadParameter(f"'{word}' should look like field=value, e.g. country=CN")
        words.fields[key.lower()] = value
        if " " in value:  # quoted in the shell: one value, commas and all
            words.quoted.add(key.lower())
    try:
        fields = rule_fields(words, "watch add")
    except UserError as exc:
        raise click.ClickException(str(exc)) from None
    show(ask(ctx, WatchAdd(rule=rule, fields=fields)), False)


@watch.command("remove")
@click.argument("rule")
@pass_ctx
@fail_on_store_error
def watch_remove(ctx: Context, rule: str) -> None:
    """Remove a rule added from chat or with watch add (file rules change in their file)."""
    show(ask(ctx, WatchRemove(rule=rule)), False)


@watch.command("preview")
@click.argument("rule")
@click.option(
    "--to",
    "destination",
    metavar="DESTINATION",
    help="Show it as this destination would (default: the rule's first destination).",
)
@json_option
@pass_ctx
@fail_on_store_error
def watch_preview(ctx: Context, rule: str, destination: str | None, as_json: bool) -> None:
    """Show the alert RULE would post for the newest stored item it matches, exactly as a
    destination would show it, without sending anything:
    racewatch watch preview chinese-open-weights-llms --to ai-race"""
    from bot.delivery.console import render
    from bot.delivery.preview import alert_body

    configured = ctx.config().settings.destinations
    if destination is not None and destination not in configured:
        raise click.BadParameter(
            f"no destination named '{destination}'; configured: {', '.join(configured)}",
            param_hint="--to",
        )
    reply = ask(ctx, WatchPreview(rule=rule))
    if reply.preview is None:  # nothing matched: what came closest
        show(reply, as_json)
        return
    card, goes_to = reply.preview.card, reply.preview.destinations
    name = destination or next((d for d in goes_to if d in configured), None)
    name = name or next(iter(configured))
    kind = configured[name].type
    body = None if kind == "console" else alert_body(card, kind)
    if as_json:
        emit_json(
            {
                "rule": rule,
                "item": card.item_id,
                "destination": name,
                "type": kind,
                "destinations": list(goes_to),
                "payload": body,
            }
        )
        return
    show(reply, False)
    out.print(f"\nAs {name} ({kind}) would show it:", style="bold", markup=False)
    if body is None:
        out.print(render(card, min(100, out.width)))
    else:
        click.echo(json.dumps(body, ensure_ascii=False, indent=2, default=str))
