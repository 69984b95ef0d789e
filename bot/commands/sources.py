"""Sources from chat: list and status (everyone); add, remove, resume (admins)."""

from __future__ import annotations

import asyncio
import socket
from urllib.parse import urlsplit

from pydantic import ValidationError
from sqlalchemy.orm import Session

from bot.commands.context import CommandContext
from bot.commands.reply import Line, Reply, UserError
from bot.commands.requests import (
    Caller,
    SourceAdd,
    SourceRemove,
    SourceResume,
    SourcesList,
    SourceStatus,
)
from bot.sources.kinds.feed import FeedSource
from bot.sources.netguard import is_public
from bot.store import sources_repo
from bot.text import normalise_url

CHAT_INTERVAL = 900.0


class SourceCommands:
    def __init__(self, ctx: CommandContext) -> None:
        self.ctx = ctx

    async def list(self, request: SourcesList) -> Reply:
        rows = await self.ctx.db(sources_repo.list_sources)
        lines = [
            Line(
                f"{'✅' if r.status == 'active' else '⏸️'} {r.name} ({r.type}) "
                f"· {r.items_seen} items" + (f" · {r.last_error[:80]}" if r.last_error else "")
            )
            for r in rows
        ]
        return Reply(f"{len(rows)} sources", lines)

    async def status(self, request: SourceStatus) -> Reply:
        def read(session: Session) -> list[Line]:
            row = sources_repo.find_source(session, request.source)
            if row is None:
                raise UserError(f"No source named '{request.source[:60]}'.")
            return [
                Line(f"{row.type} {row.url}"),
                Line(
                    f"status {row.status}" + (f": {row.paused_reason}" if row.paused_reason else "")
                ),
                Line(
                    f"last success {row.last_success_at or 'never'}; "
                    f"failures in a row {row.failure_count}"
                ),
                Line(f"last error {row.last_error or 'none'}"),
                Line(f"{row.items_seen} items seen"),
            ]

        return Reply(request.source, await self.ctx.db(read))

    async def resume(self, request: SourceResume) -> Reply:
        now = self.ctx.clock()
        resumed = await self.ctx.db(lambda s: sources_repo.resume(s, request.source, now))
        if not resumed:
            raise UserError(f"No paused source named '{request.source[:60]}'.")
        return Reply("Resumed", [Line(", ".join(resumed))], ephemeral=True)

    async def remove(self, request: SourceRemove) -> Reply:
        try:
            await self.ctx.db(lambda s: sources_repo.remove_chat_source(s, request.source))
        except LookupError:
            raise UserError(f"No source named '{request.source[:60]}'.") from None
        except sources_repo.NotFromChat:
            raise UserError(
                f"'{request.source[:60]}' comes from the configuration file; change it there."
            ) from None
        return Reply("Source removed", [Line(request.source)], ephemeral=True)

    async def add(self, request: SourceAdd, caller: Caller) -> Reply:
        ctx, name = self.ctx, request.source
        problem = url_problem(request.url)
        if problem is not None:
            raise UserError(f"That address cannot be added: {problem}.")
        url = normalise_url(request.url) or request.url
        try:
            spec = FeedSource(name=name, url=url, backfill=request.backfill)
        except ValidationError as exc:
            raise UserError(
                "That source has problems: "
                + "; ".join(str(e["msg"]).removeprefix("Value error, ") for e in exc.errors())
            ) from None
        await refuse_private(url)
        now = ctx.clock()

        def add(session: Session) -> None:
            if sources_repo.count_chat_sources(session, caller.workspace) >= ctx.max_chat_sources:
                raise UserError(
                    f"This workspace has added {ctx.max_chat_sources} sources from chat, the "
                    "most allowed (platforms.max_chat_sources); remove one first."
                )
            stored = spec.model_dump(mode="json", exclude_none=True)
            stored["chat_workspace"] = caller.workspace  # whose cap it counts against
            sources_repo.add_chat_source(session, name, url, stored, CHAT_INTERVAL, now)

        try:
            await ctx.db(add)
        except sources_repo.SourceNameTaken:
            raise UserError(f"A source named '{name}' exists already; pick another name.") from None
        return Reply(
            "Source added",
            [Line(f"{name}: {url} ({first_poll(request.backfill)})")],
            ephemeral=True,
        )


def url_problem(url: str) -> str | None:
    """What is wrong with a feed address typed in chat, in words, or None."""
    if any(c.isspace() or not c.isprintable() for c in url):
        return "it contains spaces or control characters"
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return "the port must be a number from 1 to 65535"
    if parts.scheme.lower() not in ("http", "https"):
        return "racewatch fetches http and https addresses only"
    if parts.username is not None or parts.password is not None:
        return "addresses with a user name or password are not accepted"
    host = parts.hostname or ""
    if not host:
        return "it has no host name"
    if port is not None and not 1 <= port <= 65535:
        return "the port must be a number from 1 to 65535"
    if ":" not in host:  # not an IPv6 literal
        labels = host.rstrip(".").split(".")
        if any(not label for label in labels):
            return f"the host name '{host[:80]}' has an empty part between dots"
        if any(
            len(label.encode("idna") if not label.isascii() else label) > 63 for label in labels
        ):
            return "a part of the host name is longer than 63 characters"
        if len(host) > 253:
            return "the host name is longer than 253 characters"
    if normalise_url(url) is None:
        return "it is not a valid web address"
    return None


async def refuse_private(url: str) -> None:
    """Refuse a chat-added URL whose host is not on the public internet (checked again at
    every fetch, so a later DNS change cannot get round it)."""
    host = urlsplit(url).hostname or ""
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, None)
    except (OSError, UnicodeError):
        raise UserError(f"Cannot resolve '{host[:80]}'. Check the address.") from None
    addresses = {info[4][0] for info in infos if info[0] in (socket.AF_INET, socket.AF_INET6)}
    if not addresses or not all(is_public(str(a)) for a in addresses):
        raise UserError(
            f"'{host[:80]}' is not a public internet address; racewatch only fetches public sites."
        )


def first_poll(backfill: int) -> str:
    if backfill:
        return f"the first poll sends its {backfill} newest items through your rules"
    return "first poll is a silent baseline"
