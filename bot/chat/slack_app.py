"""Slack: the ``/race`` command and the alerts' "Why?" button, through a Bolt async app.

Socket Mode by default (no public URL); HTTP mode serves Bolt behind racewatch's own
endpoint (:mod:`bot.chat.slack_http` checks signatures, timestamps and replays first).
Answers go only to ``response_url``s on Slack's own hooks host.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Awaitable, Callable, Iterable
from typing import Any
from urllib.parse import urlsplit

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.chat.render import PAGE_ACTION, slack_paged, with_slack_preview
from bot.commands.handlers import Commands
from bot.commands.reply import Reply, UserError
from bot.commands.requests import Caller, Request, Why
from bot.commands.text import parse

log = logging.getLogger(__name__)
GENERIC = "Something went wrong on racewatch's side; the details are in its log."
SLACK_HOOKS = "https://hooks.slack.com"
GROUP_CACHE_SECONDS = 300.0

IsAdmin = Callable[[AsyncWebClient, str], Awaitable[bool]]


def admin_checker(
    users: list[str],
    groups: list[str],
    ttl: float = GROUP_CACHE_SECONDS,
    clock: Callable[[], float] = time.monotonic,
) -> IsAdmin:
    """Admins by user id, or by membership of a user group, read at most every ``ttl``."""
    cache: dict[str, tuple[float, frozenset[str]]] = {}

    async def members(client: AsyncWebClient, group: str) -> frozenset[str]:
        held = cache.get(group)
        if held is not None and clock() - held[0] < ttl:
            return held[1]
        try:
            answer = await client.usergroups_users_list(usergroup=group)
            found = frozenset(answer.get("users") or [])
        except Exception:  # a misconfigured group id must not break commands
            log.warning("cannot read Slack user group %s", group)
            found = held[1] if held is not None else frozenset()
        cache[group] = (clock(), found)
        return found

    async def is_admin(client: AsyncWebClient, user_id: str) -> bool:
        if user_id in users:
            return True
        for group in groups:
            if user_id in await members(client, group):
                return True
        return False

    return is_admin


def response_url_allowed(url: str, origins: Iterable[str]) -> bool:
    """Only https URLs on Slack's hooks host (or an origin the operator configured)."""
    parts = urlsplit(url)
    origin = f"{parts.scheme}://{parts.netloc}".lower()
    return any(origin == o.rstrip("/").lower() for o in origins) and not parts.username


def build_app(
    commands: Commands,
    *,
    signing_secret: str | None,
    client: AsyncWebClient,
    command: str,
    is_admin: IsAdmin,
    response_origins: Iterable[str] = (SLACK_HOOKS,),
) -> AsyncApp:
    origins = tuple(response_origins)
    app = AsyncApp(
        signing_secret=signing_secret,
        client=client,
        request_verification_enabled=bool(signing_secret),
    )

    async def answer(respond: Any, reply: Reply, channel: str | None) -> None:
        body = with_slack_preview(slack_paged(commands.pager.first(reply)), reply)
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

    async def run(
        respond: Any, body: dict[str, Any], user: str, channel: str | None, request: Request | str
    ) -> None:
        url = str(body.get("response_url") or "")
        if not response_url_allowed(url, origins):
            log.warning("ignored a Slack request whose response_url is not Slack's: %.80s", url)
            return
        try:
            if isinstance(request, str):
                request = parse(request, command)
            admin = await is_admin(client, user) if request.admin else False
            team = str(body.get("team_id") or (body.get("team") or {}).get("id") or "")
            caller = Caller(f"slack:{user}", is_admin=admin, workspace=f"slack:{team}")
            await answer(respond, await commands.run(request, caller), channel)
        except UserError as exc:
            await respond(response_type="ephemeral", text=str(exc)[:3000])
        except Exception:
            log.exception("/%s failed", command)
            await respond(response_type="ephemeral", text=GENERIC)

    @app.command(f"/{command}")
    async def race(ack: Any, body: dict[str, Any], respond: Any) -> None:
        await ack()  # within Slack's 3 seconds, before any work
        user, channel = body.get("user_id", ""), body.get("channel_id")
        await run(respond, body, user, channel, str(body.get("text", "")))

    @app.action("racewatch_why")
    async def why(ack: Any, body: dict[str, Any], action: dict[str, Any], respond: Any) -> None:
        await ack()
        user = (body.get("user") or {}).get("id", "")
        await run(respond, body, user, None, Why(item=str(action.get("value", ""))))

    @app.action(re.compile(f"^{PAGE_ACTION}_(next|prev)$"))
    async def page(ack: Any, body: dict[str, Any], action: dict[str, Any], respond: Any) -> None:
        await ack()
        if not response_url_allowed(str(body.get("response_url") or ""), origins):
            return
        paged = commands.pager.get(str(action.get("value", "")))
        if paged is None:
            await respond(
                response_type="ephemeral",
                replace_original=False,
                text="This answer has expired; ask again for a fresh one.",
            )
            return
        await respond(replace_original=True, **slack_paged(paged))

    @app.action({"action_id": "racewatch_open"})
    async def opened(ack: Any) -> None:
        await ack()  # a link button: Slack opens the URL; nothing to do

    return app
