"""Discord: ``/race`` as app commands with typed options and autocomplete (discord.py).

Every command defers first (the answer may take longer than Discord's 3 seconds), then
follows up; errors and admin actions answer ephemerally.
"""

from __future__ import annotations

import io
import logging
from typing import Literal

import discord
from discord import app_commands

from bot.alerts.card import COUNTRY_NAMES
from bot.attribution.vocab import KINDS
from bot.chat.render import discord_embeds
from bot.commands.handlers import ADMIN_ONLY, Commands
from bot.commands.invocation import Invocation
from bot.commands.reply import Reply, UserError

log = logging.getLogger(__name__)
GENERIC = "Something went wrong on racewatch's side; the details are in its log."
COUNTRIES = {
    code: COUNTRY_NAMES[code] for code in ("CN", "US", "FR", "GB", "JP", "KR", "AE", "CA", "DE")
}


class RaceCommands:
    """Builds the ``/race`` group and answers its interactions."""

    def __init__(self, commands: Commands, name: str, admin_role: str | None) -> None:
        self.commands = commands
        self.admin_role = admin_role
        self.group = app_commands.Group(
            name=name, description="Ask racewatch about the US-China AI race"
        )
        self._define()

    def is_admin(self, interaction: discord.Interaction) -> bool:
        user = interaction.user
        perms = getattr(user, "guild_permissions", None)
        if perms is not None and perms.manage_guild:
            return True
        roles = {str(r.id) for r in getattr(user, "roles", [])}
        return bool(self.admin_role and self.admin_role in roles)

    async def answer(self, interaction: discord.Interaction, sub: str, args: list[str]) -> None:
        private = (sub, args[0] if args else "") in ADMIN_ONLY or sub in ("why", "help")
        await interaction.response.defer(ephemeral=private, thinking=True)
        try:
            reply = await self.commands.run(
                Invocation(
                    sub,
                    args,
                    user=f"discord:{interaction.user.id}",
                    is_admin=self.is_admin(interaction),
                )
            )
        except UserError as exc:
            await interaction.followup.send(str(exc)[:2000], ephemeral=True)
            return
        except Exception:
            log.exception("/%s %s failed", sub, " ".join(args)[:200])
            await interaction.followup.send(GENERIC, ephemeral=True)
            return
        await self.send(interaction, reply)

    @staticmethod
    async def send(interaction: discord.Interaction, reply: Reply) -> None:
        embeds = [discord.Embed.from_dict(e) for e in discord_embeds(reply)]
        none = discord.AllowedMentions.none()
        if reply.image is not None:
            picture = discord.File(io.BytesIO(reply.image), filename=reply.image_name)
            embeds[0].set_image(url=f"attachment://{reply.image_name}")
            await interaction.followup.send(
                embeds=embeds, file=picture, ephemeral=reply.ephemeral, allowed_mentions=none
            )
        else:
            await interaction.followup.send(
                embeds=embeds, ephemeral=reply.ephemeral, allowed_mentions=none
            )

    def _define(self) -> None:
        group, this = self.group, self

        async def countries(_: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
            return [
                app_commands.Choice(name=f"{code} {name}", value=code)
                for code, name in COUNTRIES.items()
                if current.lower() in f"{code} {name}".lower()
            ][:25]

        async def kinds(_: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
            return [
                app_commands.Choice(name=label, value=key)
                for key, label in KINDS.items()
                if current.lower() in label.lower() or current.lower() in key
            ][:25]

        async def orgs(_: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
            hits = this.commands.registry.search(current)[:25]
            return [
                app_commands.Choice(name=f"{o.name} ({o.country})"[:100], value=o.id) for o in hits
            ]

        @group.command(name="latest", description="The most recent flagged releases")
        @app_commands.describe(
            country="ISO code, e.g. CN",
            org="An organisation",
            kind="Release kind",
            n="How many (1-20)",
        )
        @app_commands.autocomplete(country=countries, org=orgs, kind=kinds)
        async def latest(
            interaction: discord.Interaction,
            country: str | None = None,
            org: str | None = None,
            kind: str | None = None,
            n: app_commands.Range[int, 1, 20] = 5,
        ) -> None:
            await this.answer(interaction, "latest", [a for a in (country, org, kind, str(n)) if a])

        @group.command(name="search", description="Full-text search over everything stored")
        async def search(interaction: discord.Interaction, query: str) -> None:
            await this.answer(interaction, "search", query.split())

        @group.command(name="gap", description="The scoreboard, China against the US, with a chart")
        async def gap(
            interaction: discord.Interaction, window: Literal["7d", "30d", "90d", "365d"] = "30d"
        ) -> None:
            await this.answer(interaction, "gap", [window])

        @group.command(
            name="org", description="An organisation's country, parent and recent releases"
        )
        @app_commands.autocomplete(name=orgs)
        async def org_(interaction: discord.Interaction, name: str) -> None:
            await this.answer(interaction, "org", [name])

        @group.command(name="why", description="Why an item was (or was not) flagged")
        async def why(interaction: discord.Interaction, item: str) -> None:
            await this.answer(interaction, "why", [item])

        @group.command(name="watch", description="Watch rules: list, add, remove, test")
        @app_commands.describe(conditions="field=value pairs, e.g. country=CN kind=model_release")
        async def watch(
            interaction: discord.Interaction,
            action: Literal["list", "add", "remove", "test"] = "list",
            name: str | None = None,
            conditions: str | None = None,
        ) -> None:
            args = [action] + ([name] if name else []) + (conditions.split() if conditions else [])
            await this.answer(interaction, "watch", args)

        @group.command(name="sources", description="Sources: list, add, remove, status, resume")
        async def sources(
            interaction: discord.Interaction,
            action: Literal["list", "add", "remove", "status", "resume"] = "list",
            name: str | None = None,
            url: str | None = None,
        ) -> None:
            await this.answer(interaction, "sources", [action] + [a for a in (name, url) if a])

        @group.command(name="digest", description="Held digests; 'now' sends them")
        async def digest(interaction: discord.Interaction, now: bool = False) -> None:
            await this.answer(interaction, "digest", ["now"] if now else [])

        @group.command(name="help", description="What racewatch can answer")
        async def help_(interaction: discord.Interaction) -> None:
            await this.answer(interaction, "help", [])


class RaceBot(discord.Client):
    """The gateway connection that receives slash commands (one per group of processes)."""

    def __init__(self, commands: Commands, name: str, admin_role: str | None) -> None:
        super().__init__(
            intents=discord.Intents.none(), allowed_mentions=discord.AllowedMentions.none()
        )
        self.tree = app_commands.CommandTree(self)
        self.race = RaceCommands(commands, name, admin_role)
        self.tree.add_command(self.race.group)

    async def setup_hook(self) -> None:
        await self.tree.sync()
        log.info("Discord commands registered: /%s", self.race.group.name)
