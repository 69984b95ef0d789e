"""A ModelScope organisation's newest models, from ModelScope's API."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pydantic import Field

from bot.items import storable_item
from bot.sources import modelscope
from bot.sources.kinds import register
from bot.sources.kinds.base import Kind, ParseContext, Parsed, SourceBase

if TYPE_CHECKING:
    from bot.attribution.registry import Org, Registry
    from bot.config.settings import HubSettings


class ModelscopeSource(SourceBase):
    type: Literal["modelscope"] = "modelscope"
    org: str = Field(description="the organisation's name on ModelScope, such as Qwen")


class Modelscope(Kind[ModelscopeSource]):
    def label(self, spec: ModelscopeSource) -> str:
        return f"modelscope:{spec.org}"

    def request_url(self, spec: ModelscopeSource, hub: HubSettings, label: str) -> str:
        return modelscope.list_models_url(hub.modelscope_endpoint, spec.org, hub.models_per_poll)

    def parse(self, spec: ModelscopeSource, body: bytes, ctx: ParseContext) -> Parsed:
        items = modelscope.parse_models(body, spec.org, ctx.hub.modelscope_endpoint, ctx.now)
        return Parsed([storable_item(i) for i in items])

    def organisation(self, spec: ModelscopeSource, url: str, registry: Registry) -> Org | None:
        return registry.by_namespace(spec.org)


register(Modelscope(ModelscopeSource))
