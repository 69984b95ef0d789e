"""Neutral leaderboard types: one arena's board as published on one day, row by row.

Parsers (the live LMArena source, ``racewatch leaderboard import``) produce them; the store
keeps them; the capability gap reads each country's best from them.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import date

# LMArena's subsets, by the names users type; the key is what racewatch stores
ARENAS: dict[str, str] = {
    "text": "text",
    "vision": "vision",
    "webdev": "webdev",
    "search": "search",
    "document": "document",
    "text_to_image": "image",
    "image_edit": "image-edit",
    "text_to_video": "video",
    "image_to_video": "image-to-video",
    "video_edit": "video-edit",
}
ARENA_TITLES: dict[str, str] = {
    "text": "LMArena text arena",
    "vision": "LMArena vision arena",
    "webdev": "LMArena WebDev arena",
    "search": "LMArena search arena",
    "document": "LMArena document arena",
    "image": "LMArena text-to-image arena",
    "image-edit": "LMArena image-edit arena",
    "video": "LMArena text-to-video arena",
    "image-to-video": "LMArena image-to-video arena",
    "video-edit": "LMArena video-edit arena",
}
# LMArena's page for each arena
ARENA_PAGES: dict[str, str] = {
    "text": "text",
    "vision": "vision",
    "webdev": "webdev",
    "search": "search",
    "document": "document",
    "image": "text-to-image",
    "image-edit": "image-edit",
    "video": "text-to-video",
    "image-to-video": "image-to-video",
    "video-edit": "video-edit",
}
_STYLE = re.compile(r"_style(_control)?$")


def arena_of(config: str) -> str:
    """The arena a board config (``text``, ``text_style_control``, ``text_to_video``) feeds.

    Style-controlled variants are the same arena, scored another way: racewatch keeps the
    default (style-controlled where LMArena shows it) as one series per arena."""
    base = _STYLE.sub("", config.strip().lower().replace("-", "_"))
    return ARENAS.get(base, base.replace("_", "-"))


def arena_title(arena: str) -> str:
    return ARENA_TITLES.get(arena, f"LMArena {arena} arena")


def arena_page(arena: str) -> str:
    return f"https://lmarena.ai/leaderboard/{ARENA_PAGES.get(arena, arena)}"


@dataclass(frozen=True)
class BoardRow:
    """One model's line: its score with the 95 % interval, votes and rank."""

    model: str
    score: float
    organization: str | None = None
    lower: float | None = None
    upper: float | None = None
    votes: int | None = None
    rank: int | None = None
    licence: str | None = None

    def __post_init__(self) -> None:
        if not self.model.strip():
            raise ValueError("a board row needs a model name")
        if not math.isfinite(self.score):
            raise ValueError(f"{self.model}: score {self.score!r} is not a number")


@dataclass(frozen=True)
class BoardSnapshot:
    """One arena's board as published on one day."""

    arena: str
    day: date
    rows: tuple[BoardRow, ...] = field(default=())
