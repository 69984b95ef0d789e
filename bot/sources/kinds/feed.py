"""RSS, Atom and JSON Feed: the body is feed markup, parsed in the worker pool."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal
from urllib.parse import urlsplit

from pydantic import Field

from bot.sources.kinds import register
from bot.sources.kinds.base import HttpUrl, Kind, SourceBase

if TYPE_CHECKING:
    from bot.attribution.registry import Org, Registry


class FeedSource(SourceBase):
    type: Literal["feed"] = "feed"
    url: HttpUrl = Field(description="the feed's address, http:// or https://")


class Feed(Kind[FeedSource]):
    def organisation(self, spec: FeedSource, url: str, registry: Registry) -> Org | None:
        return registry.by_domain((urlsplit(url).hostname or "").lower())


register(Feed(FeedSource))
