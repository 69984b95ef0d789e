"""Discord: ``/race`` (everyone) and ``/race-admin`` (Manage Server by default) as app
commands with typed options and autocomplete (discord.py).

Typed options become typed requests here; the handlers never re-guess words. Who is an
admin is decided from the interaction itself (its resolved permissions and the member's
role ids), since the bot keeps no guild cache. Privacy is decided before deferring: a bad
option, a refusal, an admin answer or a dry run is private from the first response on.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Callable
from typing import Any, Literal

import discord
import yarl
from discord import app_commands
from discord.gateway import DiscordWebSocket

from bot.alerts.card import COUNTRY_NAMES
from bot.attribution.vocab import KINDS
from bot.chat.render import discord_embeds, discord_preview
from bot.commands.countries import country_code
from bot.commands.handlers import NOT_ALLOWED, Commands
from bot.commands.paging import Paged
from bot.commands.reply import Reply, UserError
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
from bot.commands.text import rule_fields, split_words

log = logging.getLogger(__name__)


def use_gateway(url: str) -> None:
    """Open the Discord gateway at ``url`` (discord.py's built-in default unless a proxy or a
    test server is configured: ``platforms.discord_gateway``)."""
    DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(url)


GENERIC = "Something went wrong on racewatch's side; the details are in its log."
PRIVATE = (Why, Help, WatchTest, WatchPreview)
PAGE_PREFIX = "racewatch:page:"
CONDITIONS = 'field=value pairs, e.g. country=CN kind=model_release phrase="open weights"'


def role_ids(user: discord.abc.User) -> set[str]:
    """The member's role ids as the interaction payload gave them (no guild cache needed)."""
    return {str(r) for r in getattr(user, "_roles", ())}


class RaceCommands:
    """Builds ``/race`` and ``/race-admin`` and answers their interactions."""

    def __init__(self, commands: Commands, name: str, admin_role: str | None) -> None:
        self.commands = commands
        self.admin_role = admin_role
        self.group = app_commands.Group(
            name=name, description="Ask racewatch about the US-China AI race"
        )
        self.admin_group = app_commands.Group(
            name=f"{name}-admin",
            description="Change racewatch's rules, sources and digests (admins)",
            default_permissions=discord.Permissions(manage_guild=True),
            guild_only=True,
        )
        self._define_reading()
        self._define_admin()

    def is_admin(self, interaction: discord.Interaction) -> bool:
        perms = interaction.permissions
        if perms.manage_guild or perms.administrator:
            return True
        return bool(self.admin_role and self.admin_role in role_ids(interaction.user))

    async def answer(self, interaction: discord.Interaction, build: Callable[[], Request]) -> None:
        """Validate, then defer (privately when the answer will be private), then answer."""
        try:
            request = build()
        except UserError as exc:
            await interaction.response.send_message(str(exc)[:2000], ephemeral=True)
            return
        admin = self.is_admin(interaction)
        if request.admin and not admin:
            log.info("refused %s for non-admin user %s", request.name, interaction.user.id)
            await interaction.response.send_message(NOT_ALLOWED, ephemeral=True)
            return
        private = request.admin or isinstance(request, PRIVATE)
        await interaction.response.defer(ephemeral=private, thinking=True)
        caller = Caller(
            f"discord:{interaction.user.id}",
            is_admin=admin,
            workspace=f"discord:{interaction.guild_id or 'dm'}",
        )
        try:
            reply = await self.commands.run(request, caller)
        except UserError as exc:
            await interaction.followup.send(str(exc)[:2000], ephemeral=True)
            return
        except Exception:
            log.exception("/%s %s failed", self.group.name, request.name)
            await interaction.followup.send(GENERIC, ephemeral=True)
            return
        await self.send(interaction, reply, private)

    async def send(self, interaction: discord.Interaction, reply: Reply, private: bool) -> None:
        paged = self.commands.pager.first(reply)
        reply = paged.reply
        content, raw = discord_preview(reply)
        embeds = [discord.Embed.from_dict(e) for e in raw]
        extra: dict[str, Any] = {}
        if content:
            extra["content"] = content
        view = page_view(paged)
        if view is not None:
            extra["view"] = view
        if reply.image is not None:
            extra["file"] = discord.File(io.BytesIO(reply.image), filename=reply.image_name)
            embeds[0].set_image(url=f"attachment://{reply.image_name}")
        await interaction.followup.send(
            embeds=embeds,
            ephemeral=private or reply.ephemeral,
            allowed_mentions=discord.AllowedMentions.none(),
            **extra,
        )

    async def turn_page(self, interaction: discord.Interaction) -> None:
        """A Previous / Next button: the message shows the page it asks for."""
        data: dict[str, Any] = dict(interaction.data or {})
        custom_id = str(data.get("custom_id", ""))
        if not custom_id.startswith(PAGE_PREFIX):
            return
        paged = self.commands.pager.get(custom_id.removeprefix(PAGE_PREFIX))
        if paged is None:
            await interaction.response.send_message(
                "This answer has expired; ask again for a fresh one.", ephemeral=True
            )
            return
        embeds = [discord.Embed.from_dict(e) for e in discord_embeds(paged.reply)]
        await interaction.response.edit_message(embeds=embeds, view=page_view(paged))

    # -- autocomplete ----------------------------------------------------------------------
    async def countries(
        self, _: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return [
            app_commands.Choice(name=f"{code} {name}", value=code)
            for code, name in COUNTRY_NAMES.items()
            if current.lower() in f"{code} {name}".lower()
        ][:25]

    async def kinds(self, _: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        return [
            app_commands.Choice(name=label, value=key)
            for key, label in KINDS.items()
            if current.lower() in label.lower() or current.lower() in key
        ][:25]

    async def orgs(self, _: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        """The organisation meant (or the ones suggested) first, then names containing it."""
        meant, suggested = self.commands.read.orgs.find(current) if current else (None, [])
        ranked = [*([meant] if meant else []), *suggested, *self.commands.registry.search(current)]
        hits = list({o.id: o for o in ranked}.values())[:25]
        return [app_commands.Choice(name=f"{o.name} ({o.country})"[:100], value=o.id) for o in hits]

    async def rule_names(
        self, _: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        names = [r.name for r in self.commands.ctx.rules()[0]]
        return [
            app_commands.Choice(name=n[:100], value=n[:100])
            for n in names
            if current.lower() in n.lower()
        ][:25]

    def _define_reading(self) -> None:
        group, this = self.group, self

        @group.command(name="latest", description="The most recent flagged releases")
        @app_commands.describe(
            country="A country: its ISO code (CN, US) or name",
            org="An organisation, e.g. Moonshot AI or DeepSeek",
            kind="The kind of release, e.g. model release",
            n="How many releases to show, from 1 to 20",
        )
        @app_commands.autocomplete(country=this.countries, org=this.orgs, kind=this.kinds)
        async def latest(
            interaction: discord.Interaction,
            country: str | None = None,
            org: str | None = None,
            kind: str | None = None,
            n: app_commands.Range[int, 1, 20] = 5,
        ) -> None:
            def build() -> Request:
                code = country_code(country) if country else None
                if country and code is None:
                    raise UserError(f"'{country[:40]}' is not a country racewatch knows.")
                if kind and kind not in KINDS:
                    raise UserError(f"'{kind[:40]}' is not a kind; pick one from the list.")
                return Latest(country=code, org=org, kind=kind, n=n)

            await this.answer(interaction, build)

        @group.command(name="search", description="Full-text search over everything stored")
        @app_commands.describe(query="Words to look for, e.g. qwen3 coder")
        async def search(interaction: discord.Interaction, query: str) -> None:
            await this.answer(interaction, lambda: Search(text=query))

        gap_group = app_commands.Group(
            name="gap", description="The gap between China and the US", parent=group
        )

        @gap_group.command(
            name="releases", description="Releases by country, open-weights share, with a chart"
        )
        @app_commands.describe(window="How many days back to count")
        async def gap(
            interaction: discord.Interaction, window: Literal["7d", "30d", "90d", "365d"] = "30d"
        ) -> None:
            await this.answer(interaction, lambda: Gap(window=window))

        @gap_group.command(
            name="capability",
            description="Best US model against best Chinese model on an LMArena arena",
        )
        @app_commands.describe(
            arena="The LMArena arena: text, vision, image, video or webdev",
            window="How far back the chart and the figures go",
        )
        async def gap_capability(
            interaction: discord.Interaction,
            arena: Literal["text", "vision", "image", "video", "webdev"] = "text",
            window: Literal["90d", "1y", "all"] = "90d",
        ) -> None:
            await this.answer(interaction, lambda: GapCapability(arena=arena, window=window))

        @group.command(
            name="org", description="An organisation's country, parent and recent releases"
        )
        @app_commands.describe(name="The organisation, in English or Chinese")
        @app_commands.autocomplete(name=this.orgs)
        async def org_(interaction: discord.Interaction, name: str) -> None:
            await this.answer(interaction, lambda: OrgInfo(query=name))

        @group.command(name="why", description="Why an item was (or was not) flagged")
        @app_commands.describe(item="The item's number (#123) or its link")
        async def why(interaction: discord.Interaction, item: str) -> None:
            await this.answer(interaction, lambda: Why(item=item.lstrip("#")))

        @group.command(name="watch", description="The watch rules in force, or preview one")
        @app_commands.describe(preview="A rule's name: see its alert for the newest match")
        @app_commands.autocomplete(preview=this.rule_names)
        async def watch(interaction: discord.Interaction, preview: str | None = None) -> None:
            await this.answer(
                interaction, lambda: WatchPreview(rule=preview) if preview else WatchList()
            )

        @group.command(name="sources", description="Every source, or one source's status")
        @app_commands.describe(name="A source's name, for its status")
        async def sources(interaction: discord.Interaction, name: str | None = None) -> None:
            await this.answer(
                interaction, lambda: SourceStatus(source=name) if name else SourcesList()
            )

        @group.command(name="digest", description="How many alerts are held for digests")
        async def digest(interaction: discord.Interaction) -> None:
            await this.answer(interaction, DigestShow)

        @group.command(name="help", description="What racewatch can answer")
        async def help_(interaction: discord.Interaction) -> None:
            await this.answer(interaction, Help)

    def _define_admin(self) -> None:
        this = self
        watch = app_commands.Group(
            name="watch", description="Add, remove or test watch rules", parent=self.admin_group
        )
        sources = app_commands.Group(
            name="sources", description="Add, remove or resume sources", parent=self.admin_group
        )

        @watch.command(name="add", description="Add a watch rule")
        @app_commands.describe(
            name="The rule's name, e.g. cn-video",
            conditions=CONDITIONS,
            notify="Destination names, comma-separated (default: all)",
            digest="A cron schedule for a digest instead of instant alerts, e.g. 0 9 * * 1-5",
            priority="high skips quiet hours",
        )
        async def watch_add(
            interaction: discord.Interaction,
            name: str,
            conditions: str,
            notify: str | None = None,
            digest: str | None = None,
            priority: Literal["low", "normal", "high"] | None = None,
        ) -> None:
            def build() -> Request:
                fields = rule_fields(split_words(conditions), "conditions")
                if notify:
                    fields["notify"] = [d.strip() for d in notify.split(",") if d.strip()]
                if digest:
                    fields["digest"], fields["mode"] = digest, "digest"
                if priority:
                    fields["priority"] = priority
                return WatchAdd(rule=name, fields=fields)

            await this.answer(interaction, build)

        @watch.command(name="remove", description="Remove a watch rule added from chat")
        @app_commands.describe(name="The rule's name")
        async def watch_remove(interaction: discord.Interaction, name: str) -> None:
            await this.answer(interaction, lambda: WatchRemove(rule=name))

        @watch.command(name="test", description="Which of the last week's items would match")
        @app_commands.describe(conditions=CONDITIONS)
        async def watch_test(interaction: discord.Interaction, conditions: str) -> None:
            await this.answer(
                interaction,
                lambda: WatchTest(fields=rule_fields(split_words(conditions), "conditions")),
            )

        @sources.command(name="add", description="Add a feed (public internet addresses only)")
        @app_commands.describe(name="A short name for it", url="The feed's address (http or https)")
        async def source_add(interaction: discord.Interaction, name: str, url: str) -> None:
            await this.answer(interaction, lambda: SourceAdd(source=name, url=url.strip("<> ")))

        @sources.command(name="remove", description="Remove a source added from chat")
        @app_commands.describe(name="The source's name")
        async def source_remove(interaction: discord.Interaction, name: str) -> None:
            await this.answer(interaction, lambda: SourceRemove(source=name))

        @sources.command(name="resume", description="Resume a paused source")
        @app_commands.describe(name="The source's name")
        async def source_resume(interaction: discord.Interaction, name: str) -> None:
            await this.answer(interaction, lambda: SourceResume(source=name))

        destinations = app_commands.Group(
            name="destinations",
            description="Which destinations are broken; resume one once fixed",
            parent=self.admin_group,
        )

        @destinations.command(name="list", description="Each destination: sending, or broken")
        async def destinations_list(interaction: discord.Interaction) -> None:
            await this.answer(interaction, DestinationsList)

        @destinations.command(name="resume", description="Send to a broken destination again")
        @app_commands.describe(name="The destination's name, as in the settings")
        async def destination_resume(interaction: discord.Interaction, name: str) -> None:
            await this.answer(interaction, lambda: DestinationResume(destination=name))

        @self.admin_group.command(name="digest", description="Send every held digest now")
        async def digest_now(interaction: discord.Interaction) -> None:
            await this.answer(interaction, DigestNow)


def page_view(paged: Paged) -> discord.ui.View | None:
    """Previous / Next buttons for a reply of more than one page."""
    if paged.count <= 1:
        return None
    view = discord.ui.View(timeout=None)
    for label, index in (("◀ Previous", paged.index - 1), ("Next ▶", paged.index + 1)):
        value = paged.button(index)
        view.add_item(
            discord.ui.Button(
                label=label,
                custom_id=f"{PAGE_PREFIX}{value or f'{paged.key}:{paged.index}:{label[-1]}'}",
                disabled=value is None,
                style=discord.ButtonStyle.secondary,
            )
        )
    return view


class RaceBot(discord.Client):
    """The gateway connection that receives slash commands (one per group of processes)."""

    def __init__(self, commands: Commands, name: str, admin_role: str | None) -> None:
        super().__init__(
            intents=discord.Intents.none(), allowed_mentions=discord.AllowedMentions.none()
        )
        self.tree = app_commands.CommandTree(self)
        self.race = RaceCommands(commands, name, admin_role)
        self.tree.add_command(self.race.group)
        self.tree.add_command(self.race.admin_group)

    async def on_interaction(self, interaction: discord.Interaction) -> None:
        if interaction.type is discord.InteractionType.component:
            await self.race.turn_page(interaction)

    async def setup_hook(self) -> None:
        await self.tree.sync()
        log.info(
            "Discord commands registered: /%s and /%s",
            self.race.group.name,
            self.race.admin_group.name,
        )
