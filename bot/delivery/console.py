"""Alerts on the terminal, for laptops and for ``racewatch demo``."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime

from rich.cells import cell_len
from rich.console import Console, Group
from rich.panel import Panel
from rich.text import Text

from bot.alerts.card import AlertCard, Digest, StoryUpdate
from bot.alerts.report import RaceReport
from bot.text import terminal_line, visible

COLOURS = {"CN": "red", "US": "blue"}
_NUMBER = re.compile(r"[0-9][0-9.,]*[kMBT]?")


def ago(when: datetime, now: datetime | None = None) -> str:
    seconds = ((now or datetime.now(UTC)) - when).total_seconds()
    if seconds < 90:
        return "just now"
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{seconds / size:.0f} {unit} ago"
    return "just now"


def _line(text: str) -> Text:
    return Text(terminal_line(text))


def facts_text(card: AlertCard) -> str:
    """The facts in one line; a bare number says what it counts ("1.2k downloads")."""
    return " · ".join(
        f"{value} {label.lower()}" if _NUMBER.fullmatch(value) else value
        for label, value in card.facts
    )


def render(card: AlertCard, width: int = 100) -> Panel:
    """A rich panel at most ``width`` wide; every untrusted string goes in as plain ``Text``,
    never as markup, and without control characters (a feed must not clear the screen or
    retitle the window). The link is never wrapped mid-word: the panel widens for it, and
    a link too long for the screen is left out (``ConsoleSender`` prints it on its own)."""
    colour = COLOURS.get(card.country or "", "white")
    url = terminal_line(card.url) if card.url else ""
    inner = min(width, max(60, len(card.title) + 8, cell_len(url) + 4)) - 4
    body = [Text(terminal_line(card.title), style="bold")]
    if card.summary:
        body.append(Text(visible(card.summary)))
    body.append(Text(terminal_line(facts_text(card)), style=colour))
    if url and cell_len(url) <= inner:
        body.append(Text(url, style="underline", no_wrap=True))
    footer = f"{card.source} · {ago(card.published_at)}"
    if card.also_reported:
        footer += " · also reported by " + ", ".join(card.also_reported)
    if card.rule:
        footer += f" · rule {card.rule}"
    body.append(Text(terminal_line(footer), style="dim"))
    heading = _line(
        f" {card.flag} {card.country or 'unattributed'} · {card.kind.replace('_', ' ')} "
    )
    return Panel(
        Group(*body),
        title=heading,
        title_align="left",
        border_style=colour,
        expand=False,
        width=inner + 4,
    )


class ConsoleSender:
    def __init__(self, name: str, console: Console | None = None) -> None:
        self.name = name
        self.console = console or Console(soft_wrap=False, highlight=False)

    async def send(self, card: AlertCard, key: str = "", uncertain: bool = False) -> str | None:
        await asyncio.to_thread(self._print, card)
        return None

    def _print(self, card: AlertCard) -> None:
        width = min(100, self.console.width)
        self.console.print(render(card, width))
        url = terminal_line(card.url) if card.url else ""
        if url and cell_len(url) > width - 4:  # whole, for the terminal to wrap
            self.console.print(Text(url, style="underline"), soft_wrap=True)

    async def send_update(
        self, update: StoryUpdate, key: str = "", uncertain: bool = False
    ) -> str | None:
        line = Text(terminal_line(f"  ↳ {update.title[:80]}: {update.text}"), style="dim")
        await asyncio.to_thread(self.console.print, line)
        return None

    async def send_digest(
        self, digest: Digest, key: str = "", uncertain: bool = False
    ) -> str | None:
        lines = [
            _line(f"{c.flag} {c.title}" + (f"  {c.url}" if c.url else "")) for c in digest.cards
        ]
        panel = Panel(
            Group(*lines),
            title=_line(f" {digest.title} "),
            title_align="left",
            border_style="magenta",
            expand=False,
        )
        await asyncio.to_thread(self.console.print, panel)
        return None

    async def send_report(self, report: RaceReport) -> str | None:
        body = [_line(line) for line in report.plain_lines()]  # model names are external
        if report.image is not None:
            body.append(Text(f"(chart: {report.image_name}, posted as an image on chat)", "dim"))
        panel = Panel(Group(*body), title=Text(f" {report.title} "), title_align="left")
        await asyncio.to_thread(self.console.print, panel)
        return None

    async def notice(self, text: str) -> None:
        await asyncio.to_thread(
            self.console.print, Text(terminal_line(f"racewatch notice: {text}"), style="yellow")
        )

    async def close(self) -> None:
        return None
