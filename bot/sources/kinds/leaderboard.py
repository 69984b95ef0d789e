"""An LMArena leaderboard, from the Hugging Face datasets server: a new #1, a model entering
the top N, each country's best rank, and the standings kept for the capability gap."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pydantic import Field

from bot.sources import leaderboard
from bot.sources.kinds import register
from bot.sources.kinds.base import HttpUrl, Kind, ParseContext, Parsed, SourceBase

if TYPE_CHECKING:
    from bot.config.settings import HubSettings

LMARENA_PAGE = "https://lmarena.ai/leaderboard"


class LeaderboardSource(SourceBase):
    type: Literal["leaderboard"] = "leaderboard"
    board: str = Field(default="text", pattern=r"^[a-z_]+$")  # the LMArena dataset's config
    top_n: int = Field(default=10, ge=1, le=100)
    url: HttpUrl | None = None  # the rows from elsewhere (a mirror, a test server)


class Leaderboard(Kind[LeaderboardSource]):
    hub_token = global_scope = True

    def label(self, spec: LeaderboardSource) -> str:
        return spec.url or f"lmarena:{spec.board}"

    def request_url(self, spec: LeaderboardSource, hub: HubSettings, label: str) -> str:
        if label.startswith("http"):
            return label
        return leaderboard.rows_url(hub.datasets_server, spec.board)

    def parse(self, spec: LeaderboardSource, body: bytes, ctx: ParseContext) -> Parsed:
        rows = leaderboard.parse_rows(body)
        items = leaderboard.leaderboard_items(
            rows,
            config=spec.board,
            top_n=spec.top_n,
            country_of=ctx.country_of,
            now=ctx.now,
            page_url=LMARENA_PAGE,
        )
        return Parsed(items, leaderboard.board_snapshot(rows, spec.board, ctx.now.date()))


register(Leaderboard(LeaderboardSource))
