"""Digests (show: everyone; send now: admins) and help."""

from __future__ import annotations

from bot.commands.context import CommandContext
from bot.commands.reply import Line, Reply, UserError
from bot.commands.requests import DigestNow, DigestShow, Help
from bot.commands.text import USAGE, usage
from bot.store import outbox_repo


class DigestCommands:
    def __init__(self, ctx: CommandContext) -> None:
        self.ctx = ctx

    async def show(self, request: DigestShow) -> Reply:
        held = await self.ctx.db(outbox_repo.held_count)
        return Reply(
            "Digests",
            [
                Line(
                    f"{held} alerts are held for digests. "
                    f"/{self.ctx.command} digest now sends them."
                )
            ],
        )

    async def now(self, request: DigestNow) -> Reply:
        if self.ctx.send_digests is None:
            raise UserError("Digests can only be sent by a running racewatch.")
        sent = await self.ctx.send_digests()
        return Reply("Digest sent", [Line(f"{sent} held alerts sent")], ephemeral=True)

    async def help(self, request: Help) -> Reply:
        topic = request.topic if request.topic in USAGE else None
        text = usage(self.ctx.command, topic)
        return Reply("racewatch", [Line(line) for line in text.splitlines()], ephemeral=True)
