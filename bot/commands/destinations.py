"""Destinations from chat (admins): which are sending, which are broken and why, and
resuming one once it is fixed (as ``racewatch destinations`` and ``destinations resume``)."""

from __future__ import annotations

from bot.commands.context import CommandContext
from bot.commands.reply import Line, Reply, UserError
from bot.commands.requests import DestinationResume, DestinationsList
from bot.store import outbox_repo


class DestinationCommands:
    def __init__(self, ctx: CommandContext) -> None:
        self.ctx = ctx

    async def list(self, request: DestinationsList) -> Reply:
        health = await self.ctx.db(outbox_repo.destination_health)
        lines = []
        for name in self.ctx.destinations:
            state = health.get(name)
            if state is not None and state.status == "broken":
                lines.append(Line(f"⛔ {name}: broken, {(state.reason or 'refused')[:200]}"))
            else:
                lines.append(Line(f"✅ {name}: sending"))
        return Reply("Destinations", lines or [Line("No destinations.")], ephemeral=True)

    async def resume(self, request: DestinationResume) -> Reply:
        name = request.destination.strip()
        now = self.ctx.clock()
        resumed = await self.ctx.db(lambda s: outbox_repo.mark_working(s, name, now))
        if not resumed:
            health = await self.ctx.db(outbox_repo.destination_health)
            broken = sorted(n for n, h in health.items() if h.status == "broken")
            which = ", ".join(broken) if broken else "none is"
            raise UserError(f"No broken destination named '{name[:60]}' (broken: {which}).")
        return Reply(
            "Destination resumed",
            [Line(f"{name}: its waiting alerts go out within seconds.")],
            ephemeral=True,
        )
