"""The handlers behind ``/race``: a typed request in, a neutral :class:`Reply` out.

They know nothing of Discord or Slack. ``Commands.run`` checks who may ask (admin requests),
how often (expensive requests, per user), then hands the request to its topic: reading
(:mod:`read`), rules (:mod:`watch`), sources (:mod:`sources`), digests (:mod:`digest`).
A ``UserError`` carries text meant for the user; anything else becomes a short generic
answer in the adapter, with the details in the log.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from bot.commands.context import CommandContext
from bot.commands.destinations import DestinationCommands
from bot.commands.digest import DigestCommands
from bot.commands.paging import Pager
from bot.commands.read import ReadCommands
from bot.commands.reply import Line, Reply, UserError
from bot.commands.requests import (
    Caller,
    DestinationResume,
    DestinationsList,
    DigestNow,
    DigestShow,
    Gap,
    GapCapability,
    Help,
    Latest,
    OrgInfo,
    Request,
    Search,
    SourceAdd,
    SourceRemove,
    SourceResume,
    SourcesList,
    SourceStatus,
    WatchAdd,
    WatchList,
    WatchPreview,
    WatchRemove,
    WatchTest,
    Why,
)
from bot.commands.sources import SourceCommands
from bot.commands.watch import WatchCommands
from bot.commands.work import RateLimit

log = logging.getLogger(__name__)
NOT_ALLOWED = (
    "Sorry, only racewatch admins can change rules, sources and digests, or run dry runs. "
    "Reading is open to everyone."
)


class Commands:
    """Every ``/race`` command, for any front end: ``await commands.run(request, caller)``."""

    def __init__(self, ctx: CommandContext, rate: RateLimit | None = None) -> None:
        self.ctx = ctx
        self.rate = rate or RateLimit()
        self.pager = Pager()  # long answers: the adapters send page 1 with buttons
        self.read = ReadCommands(ctx)
        self.watch = WatchCommands(ctx)
        self.sources = SourceCommands(ctx)
        self.digest = DigestCommands(ctx)
        self.destinations = DestinationCommands(ctx)
        self._routes: dict[type[Request], Callable[[Any, Caller], Awaitable[Reply]]] = {
            Latest: lambda r, c: self.read.latest(r),
            Search: lambda r, c: self.read.search(r),
            Gap: lambda r, c: self.read.gap(r),
            GapCapability: lambda r, c: self.read.gap_capability(r),
            OrgInfo: lambda r, c: self.read.org(r),
            Why: lambda r, c: self.read.why(r),
            WatchList: lambda r, c: self.watch.list(r),
            WatchAdd: self.watch.add,
            WatchRemove: lambda r, c: self.watch.remove(r),
            WatchTest: lambda r, c: self.watch.test(r),
            WatchPreview: lambda r, c: self.watch.preview(r),
            SourcesList: lambda r, c: self.sources.list(r),
            SourceStatus: lambda r, c: self.sources.status(r),
            SourceAdd: self.sources.add,
            SourceRemove: lambda r, c: self.sources.remove(r),
            SourceResume: lambda r, c: self.sources.resume(r),
            DigestShow: lambda r, c: self.digest.show(r),
            DestinationsList: lambda r, c: self.destinations.list(r),
            DestinationResume: lambda r, c: self.destinations.resume(r),
            DigestNow: lambda r, c: self.digest.now(r),
            Help: lambda r, c: self.digest.help(r),
        }

    @property
    def registry(self) -> Any:
        return self.ctx.registry

    async def run(self, request: Request, caller: Caller) -> Reply:
        if request.admin and not caller.is_admin:
            log.info("refused %s for non-admin user %s", request.name, caller.user)
            return Reply("Not allowed", [Line(NOT_ALLOWED)], ephemeral=True)
        if request.expensive:
            self.rate.check(caller.user, request.name)
        route = self._routes.get(type(request))
        if route is None:
            raise UserError(f"racewatch cannot answer '{request.name}' here.")
        return await route(request, caller)

    def close(self) -> None:
        self.ctx.work.close()
