"""``racewatch discord invite`` and ``racewatch doctor``: set-up in minutes."""

from __future__ import annotations

import asyncio
import os
import sys
from datetime import UTC, datetime
from urllib.parse import urlencode

import aiohttp
import click
from slack_sdk.errors import SlackApiError

from bot.cli import Context, cli, pass_ctx
from bot.config.settings import PlatformSettings
from bot.delivery.console import ago
from bot.delivery.preflight import (
    chat_problems,
    destination_problems,
    slack_chat_scopes,
    slack_scope_problems,
)
from bot.delivery.slack_sender import granted_scopes, slack_error
from bot.delivery.slack_sender import web_client as slack_web_client
from bot.runtime.app import build_senders
from bot.store import outbox_repo
from bot.store.db import open_store
from bot.store.outbox_repo import DestinationHealth

# View Channel, Send Messages, Embed Links, Attach Files, Read Message History
DISCORD_PERMISSIONS = 1024 | 2048 | 16384 | 32768 | 65536
DISCORD_SCOPES = ("bot", "applications.commands")


def invite_url(client_id: str) -> str:
    query = {
        "client_id": client_id,
        "scope": " ".join(DISCORD_SCOPES),
        "permissions": str(DISCORD_PERMISSIONS),
    }
    return "https://discord.com/oauth2/authorize?" + urlencode(query)


@cli.group()
def discord() -> None:
    """Discord set-up helpers."""


@discord.command("invite")
@click.option(
    "--client-id",
    help="The application id (Developer Portal -> General Information). "
    "Default: $DISCORD_APPLICATION_ID or platforms.discord_application_id.",
)
@pass_ctx
def discord_invite(ctx: Context, client_id: str | None) -> None:
    """Print the URL that adds the bot to a server with exactly the permissions it needs."""
    client_id = (
        client_id
        or os.environ.get("DISCORD_APPLICATION_ID")
        or ctx.config().settings.platforms.discord_application_id
    )
    if not client_id or not client_id.isdigit():
        raise click.ClickException(
            "give the application id: racewatch discord invite --client-id "
            "123456789012345678 (Developer Portal -> your app -> General "
            "Information -> Application ID)"
        )
    click.echo(invite_url(client_id))
    click.echo(
        "Scopes: bot, applications.commands. Permissions: View Channel, Send Messages, "
        "Embed Links, Attach Files, Read Message History.",
        err=True,
    )


@cli.command()
@pass_ctx
def doctor(ctx: Context) -> None:
    """Check every configured destination (tokens, channels, permissions) and say what to fix."""
    config = ctx.config()
    settings = config.settings
    senders = build_senders(config)

    async def check_all() -> list[tuple[str, list[str]]]:
        results = []
        try:
            for name, sender in senders.items():
                # a missing or malformed variable first: asking the platform would only
                # answer "unauthorised"
                problems = destination_problems(settings.destinations[name], os.environ)
                check = getattr(sender, "check", None)
                if not problems and check is not None:
                    problems = await check()
                problems += stored_state(name)
                results.append((f"{name} ({settings.destinations[name].type})", problems))
            results += await chat_checks(settings.platforms)
        finally:
            for sender in senders.values():
                await sender.close()
        return results

    health = destination_health(config.database_url)

    def stored_state(name: str) -> list[str]:
        """What racewatch itself recorded: a destination it stopped sending to."""
        state = health.get(name)
        if state is None or state.status != "broken":
            return []
        since = ago(state.since, datetime.now(UTC)) if state.since else "a while ago"
        return [
            f"racewatch stopped sending here {since} after: {state.reason}; it checks again "
            f"every few minutes, or `racewatch destinations resume {name}` once it is fixed"
        ]

    failed = 0
    for label, problems in asyncio.run(check_all()):
        if problems:
            failed += 1
            click.echo(f"✘ {label}")
            for problem in problems:
                click.echo(f"    {problem}")
        else:
            click.echo(f"✔ {label}")
    if failed:
        sys.exit(1)


async def chat_checks(platforms: PlatformSettings) -> list[tuple[str, list[str]]]:
    """The ``/race`` line for Slack, when a Slack token is set: tokens, mode, and the scopes
    Slack reports on ``auth.test`` against what ``/race`` uses."""
    env = os.environ
    if not platforms.chat_commands or not (
        env.get("SLACK_BOT_TOKEN") or env.get("SLACK_APP_TOKEN")
    ):
        return []
    label = f"slack /{platforms.command} ({platforms.slack_mode} mode)"
    problems = chat_problems(platforms, env)
    if problems or not env.get("SLACK_BOT_TOKEN"):
        return [(label, problems)]
    client = slack_web_client(env["SLACK_BOT_TOKEN"], platforms.slack_api)
    try:
        auth = await client.auth_test()
        problems = slack_scope_problems(granted_scopes(auth.headers), slack_chat_scopes(platforms))
    except SlackApiError as exc:
        problems = [f"Slack answered {slack_error(exc)} to the bot token (SLACK_BOT_TOKEN)"]
    except (aiohttp.ClientError, TimeoutError, OSError) as exc:
        problems = [f"cannot reach Slack: {exc}"]
    return [(label, problems)]


def destination_health(database_url: str) -> dict[str, DestinationHealth]:
    """The destinations' recorded state, or nothing when the store cannot be read (doctor
    still checks the platforms)."""
    try:
        _engine, sessions = open_store(database_url)
        with sessions.begin() as session:
            return outbox_repo.destination_health(session)
    except Exception as exc:  # doctor must work before the first run, too
        click.echo(f"(could not read racewatch's database: {exc})", err=True)
        return {}
