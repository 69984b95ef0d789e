"""Hugging Face's trending models: a model entering the list."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from bot.items import storable_item
from bot.sources import trending
from bot.sources.kinds import register
from bot.sources.kinds.base import Kind, ParseContext, Parsed, SourceBase

if TYPE_CHECKING:
    from bot.config.settings import HubSettings


class TrendingSource(SourceBase):
    type: Literal["trending"] = "trending"


class Trending(Kind[TrendingSource]):
    hub_token = hub_calls = global_scope = True

    def label(self, spec: TrendingSource) -> str:
        return "huggingface:trending"

    def request_url(self, spec: TrendingSource, hub: HubSettings, label: str) -> str:
        return trending.trending_url(hub.huggingface_endpoint)

    def parse(self, spec: TrendingSource, body: bytes, ctx: ParseContext) -> Parsed:
        items = trending.parse_trending(body, ctx.hub.huggingface_endpoint, ctx.now)
        return Parsed([storable_item(i) for i in items])


register(Trending(TrendingSource))
