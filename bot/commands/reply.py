"""The neutral reply every handler returns, and the error whose text users read."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.alerts.card import AlertCard
from bot.errors import UserError

__all__ = ["Line", "Preview", "Reply", "UserError"]


@dataclass(frozen=True)
class Line:
    """One line of an answer: text, and optionally a link (rendered natively per platform)."""

    text: str
    url: str | None = None


@dataclass(frozen=True)
class Preview:
    """A sample alert: the card a rule would post, and where it would go."""

    card: AlertCard
    destinations: tuple[str, ...]


@dataclass(frozen=True)
class Reply:
    title: str
    lines: list[Line] = field(default_factory=list)
    ephemeral: bool = False
    image: bytes | None = None  # a PNG (the gap chart)
    image_name: str = "chart.png"
    preview: Preview | None = None  # ``watch preview``: rendered as the alert itself

    def pages(self, size: int) -> list[list[Line]]:
        """Lines split into pages of at most ``size`` characters each."""
        pages: list[list[Line]] = [[]]
        used = 0
        for line in self.lines:
            length = len(line.text) + len(line.url or "") + 8
            if pages[-1] and used + length > size:
                pages.append([])
                used = 0
            pages[-1].append(line)
            used += length
        return pages
