"""Slack: the ``/race`` command and the alerts' "Why?" button, through a Bolt async app.

Socket Mode by default (no public URL); HTTP mode serves Bolt behind racewatch's own
endpoint, where Bolt verifies Slack's signature and rejects stale timestamps.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.chat.render import slack_reply
from bot.commands.handlers import Commands
from bot.commands.invocation import Invocation, parse_text
from bot.commands.reply import Reply, UserError

log = logging.getLogger(__name__)
GENERIC = "Something went wrong on racewatch's side; the details are in its log."

IsAdmin = Callable[[AsyncWebClient, str], Awaitable[bool]]


def admin_checker(users: list[str], groups: list[str]) -> IsAdmin:
    async def is_admin(client: AsyncWebClient, user_id: str) -> bool:
        if user_id in users:
            return True
        for group in groups:
            try:
                members = await client.usergroups_users_list(usergroup=group)
            except Exception:  # a misconfigured group id must not break commands
                log.warning("cannot read Slack user group %s", group)
                continue
            if user_id in (members.get("users") or []):
                return True
        return False

    return is_admin


def build_app(
    commands: Commands,
    *,
    token: str | None,
    signing_secret: str | None,
    client: AsyncWebClient,
    command: str,
    is_admin: IsAdmin,
) -> AsyncApp:
    app = AsyncApp(
        signing_secret=signing_secret,
        client=client,
        request_verification_enabled=bool(signing_secret),
    )

    async def answer(respond: Any, reply: Reply, channel: str | None) -> None:
        body = slack_reply(reply)
        await respond(
            response_type="ephemeral" if reply.ephemeral else "in_channel",
            replace_original=False,
            **body,
        )
        if reply.image is not None and channel:
            try:
                await client.files_upload_v2(
                    channel=channel,
                    content=reply.image,
                    filename=reply.image_name,
                    title=reply.title,
                )
            except Exception:
                log.exception("uploading the chart to Slack failed")

    async def run(respond: Any, user: str, text: str, channel: str | None) -> None:
        try:
            sub, args = parse_text(text, command)
            call = Invocation(
                sub, args, user=f"slack:{user}", is_admin=await is_admin(client, user)
            )
            await answer(respond, await commands.run(call), channel)
        except UserError as exc:
            await respond(response_type="ephemeral", text=str(exc))
        except Exception:
            log.exception("/%s %s failed", command, text[:200])
            await respond(response_type="ephemeral", text=GENERIC)

    @app.command(f"/{command}")
    async def race(ack: Any, body: dict[str, Any], respond: Any) -> None:
        await ack()  # within Slack's 3 seconds, before any work
        await run(respond, body.get("user_id", ""), body.get("text", ""), body.get("channel_id"))

    @app.action("racewatch_why")
    async def why(ack: Any, body: dict[str, Any], action: dict[str, Any], respond: Any) -> None:
        await ack()
        user = (body.get("user") or {}).get("id", "")
        await run(respond, user, f"why {action.get('value', '')}", None)

    @app.action({"action_id": "racewatch_open"})
    async def opened(ack: Any) -> None:
        await ack()  # a link button: Slack opens the URL; nothing to do

    return app
