"""``racewatch discord invite`` and ``racewatch doctor``: set-up in minutes."""

from __future__ import annotations

import asyncio
import os
import sys
from urllib.parse import urlencode

import click

from bot.cli import Context, cli, pass_ctx
from bot.runtime.app import build_senders

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
    senders = build_senders(config)

    async def check_all() -> list[tuple[str, list[str]]]:
        results = []
        for name, sender in senders.items():
            check = getattr(sender, "check", None)
            problems = await check() if check is not None else []
            results.append((name, problems))
            await sender.close()
        return results

    results = asyncio.run(check_all())
    failed = 0
    for name, problems in results:
        kind = config.settings.destinations[name].type
        if problems:
            failed += 1
            click.echo(f"✘ {name} ({kind})")
            for problem in problems:
                click.echo(f"    {problem}")
        else:
            click.echo(f"✔ {name} ({kind})")
    if failed:
        sys.exit(1)
