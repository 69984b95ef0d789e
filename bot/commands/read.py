"""Reading commands, open to everyone: latest, search, gap, org, why."""

from __future__ import annotations

import asyncio
from datetime import datetime

from sqlalchemy.orm import Session

from bot.attribution.vocab import KINDS, flag
from bot.commands import capability, chart
from bot.commands.cadence import cadence_lines
from bot.commands.cadence_chart import cadence_chart
from bot.commands.capability_chart import capability_chart
from bot.commands.context import CommandContext
from bot.commands.explain import explain, find_item
from bot.commands.orgs import OrgLookup
from bot.commands.reply import Line, Reply, UserError
from bot.commands.requests import WINDOWS, Gap, GapCapability, Latest, OrgInfo, Search, Why
from bot.commands.text import usage
from bot.store import queries, stats
from bot.store.cadence import cadence


def item_line(row: queries.Row, now: datetime | None = None) -> Line:
    when = f"{row.published_at:%d %b}"
    if now is not None and row.published_at.year != now.year:
        when = f"{row.published_at:%d %b %Y}"
    return Line(
        f"{flag(row.country)} {row.title} · {KINDS.get(row.kind, row.kind)} · {when} · #{row.id}",
        row.url,
    )


class ReadCommands:
    def __init__(self, ctx: CommandContext) -> None:
        self.ctx = ctx
        self.orgs = OrgLookup(ctx.registry)

    async def latest(self, request: Latest) -> Reply:
        ctx = self.ctx
        org_ids = None
        label = request.org
        if request.org:
            org = self.orgs.one(request.org, ctx.command)
            org_ids, label = self.orgs.family(org), org.name
        if request.kind is not None and request.kind not in KINDS:
            raise UserError(f"'{request.kind[:40]}' is not a kind; use one of: {', '.join(KINDS)}")
        n = max(1, min(20, request.n))
        rows = await ctx.db(
            lambda s: queries.latest(
                s, country=request.country, orgs=org_ids, kind=request.kind, limit=n
            )
        )
        what = (
            " ".join(filter(None, [request.country, label, request.kind and KINDS[request.kind]]))
            or "all countries"
        )
        now = ctx.clock()
        return Reply(
            f"Latest: {what}",
            [item_line(r, now) for r in rows] or [Line("Nothing stored matches yet.")],
        )

    async def search(self, request: Search) -> Reply:
        text = request.text.strip()
        if not text:
            raise UserError(usage(self.ctx.command, "search"))
        rows = await self.ctx.db(lambda s: queries.search(s, text, limit=10))
        now = self.ctx.clock()
        return Reply(
            f"Search: {text[:80]}", [item_line(r, now) for r in rows] or [Line("No matches.")]
        )

    async def gap(self, request: Gap) -> Reply:
        ctx = self.ctx
        if request.window not in WINDOWS:
            raise UserError(f"'{request.window[:20]}' is not a window. {usage(ctx.command, 'gap')}")
        days = WINDOWS[request.window]
        now = ctx.clock()
        png: bytes | None = None
        if days >= 365:  # a year: the monthly chart below, not 52 weekly points
            board = await ctx.db(lambda s: stats.scoreboard(s, now, days))
        else:
            weeks, series = await ctx.db(lambda s: stats.weekly(s, now, days))
            board, png = await asyncio.gather(
                ctx.db(lambda s: stats.scoreboard(s, now, days)),
                ctx.work.run(lambda: chart.weekly_chart(weeks, series)),
            )
        lines = []
        for line in board.lines:
            change = line.releases - line.previous
            leading = ", ".join(f"{ctx.name_of(o)} {n}" for o, n in line.top_orgs)
            lines.append(
                Line(
                    f"{flag(line.country) if line.country != 'other' else '🌐'} {line.country}: "
                    f"{line.breakdown()}; change {change:+d} releases vs previous {days} days"
                    + (f"; leading organisations (releases): {leading}" if leading else "")
                )
            )
        for country, (rank, model) in sorted(board.best_rank.items()):
            lines.append(Line(f"{flag(country)} best on LMArena: #{rank} {model}"))
        months = await ctx.db(lambda s: cadence(s, now, ctx.registry))
        lines += [Line(text) for text in cadence_lines(months, ctx.name_of)]
        if days >= 365:
            png = await ctx.work.run(
                lambda: cadence_chart(months, "Releases per month, last 12 months")
            )
        return Reply(
            f"The gap, last {days} days ({board.span})",
            lines,
            image=png,
            image_name=f"gap-{request.window}.png",
        )

    async def gap_capability(self, request: GapCapability) -> Reply:
        """The best US model's LMArena score against the best Chinese model's, with a chart."""
        ctx = self.ctx
        query = capability.CapabilityQuery.parse(request.arena, request.window, ctx.gap_within)
        today = ctx.clock().date()
        answer = await ctx.db(lambda s: capability.load(s, query, today))
        lines = [Line(text) for text in capability.lines(answer)]
        if not answer.gap.series:
            return Reply(answer.title, lines)
        png = await ctx.work.run(lambda: capability_chart(answer.gap, answer.title, answer.markers))
        return Reply(answer.title, lines, image=png, image_name=f"gap-{query.arena}.png")

    async def org(self, request: OrgInfo) -> Reply:
        ctx = self.ctx
        if not request.query.strip():
            raise UserError(usage(ctx.command, "org"))
        org = self.orgs.one(request.query, ctx.command)
        root = ctx.registry.root(org)
        ids = self.orgs.family(org)
        rows = await ctx.db(lambda s: queries.org_recent(s, ids, 5))
        also = [*org.aliases, *org.products][:6]
        head = Line(
            f"{flag(org.country)} {org.name} ({org.country})"
            + (f", part of {root.name}" if root is not org else "")
            + (f" · also: {', '.join(also)}" if also else "")
        )
        now = ctx.clock()
        return Reply(
            org.name,
            [head, *([item_line(r, now) for r in rows] or [Line("No releases stored yet.")])],
        )

    async def why(self, request: Why) -> Reply:
        ctx = self.ctx
        if not request.item.strip():
            raise UserError(usage(ctx.command, "why"))
        rules, mutes = ctx.rules()

        def work(session: Session) -> Reply:
            item = find_item(session, request.item)
            if item is None:
                raise UserError(f"No stored item matches '{request.item[:80]}'.")
            result = explain(session, item, ctx.registry, rules, mutes, ctx.max_age)
            lines = []
            for heading, body in result.sections:
                lines.append(Line(f"{heading}:"))
                lines += [Line(f"  {text}") for text in body]
            return Reply(f"Why: {item.title[:120]}", lines, ephemeral=True)

        return await ctx.db(work)
