"""A Hugging Face organisation's newest models, from the Hub's API."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pydantic import Field

from bot.items import storable_item
from bot.sources import huggingface
from bot.sources.kinds import register
from bot.sources.kinds.base import Kind, ParseContext, Parsed, SourceBase

if TYPE_CHECKING:
    from bot.attribution.registry import Org, Registry
    from bot.config.settings import HubSettings


class HuggingfaceSource(SourceBase):
    type: Literal["huggingface"] = "huggingface"
    org: str = Field(description="the organisation's namespace on the Hub, such as Qwen")


class Huggingface(Kind[HuggingfaceSource]):
    hub_token = hub_calls = True

    def label(self, spec: HuggingfaceSource) -> str:
        return f"huggingface:{spec.org}"

    def request_url(self, spec: HuggingfaceSource, hub: HubSettings, label: str) -> str:
        return huggingface.list_models_url(hub.huggingface_endpoint, spec.org, hub.models_per_poll)

    def parse(self, spec: HuggingfaceSource, body: bytes, ctx: ParseContext) -> Parsed:
        items = huggingface.parse_models(body, ctx.hub.huggingface_endpoint, ctx.now)
        return Parsed([storable_item(i) for i in items])

    def organisation(self, spec: HuggingfaceSource, url: str, registry: Registry) -> Org | None:
        return registry.by_namespace(spec.org)


register(Huggingface(HuggingfaceSource))
