"""What every source kind provides: its settings model, its request, its parser, its label.

A kind is registered by its module in this folder (see ``__init__``); the poller, the sources
table, the Hub budget and the coverage count look it up by the source's ``type``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any, Generic, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from bot.units import Duration

if TYPE_CHECKING:
    from bot.attribution.registry import Org, Registry
    from bot.boards import BoardSnapshot
    from bot.config.settings import HubSettings
    from bot.items import NewItem


def _http(url: str) -> str:
    if not url.lower().startswith(("http://", "https://")):
        raise ValueError("url must start with http:// or https://")
    return url


HttpUrl = Annotated[str, AfterValidator(_http)]


class SourceBase(BaseModel):
    """The settings every source has; each kind adds its own and narrows ``type``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9][A-Za-z0-9._:/-]*$")
    type: str
    interval: Duration | None = None
    host_delay: Duration | None = None
    language: str | None = None  # the items' language when the feed does not say (zh, en...)
    country: str | None = Field(
        default=None, pattern=r"^[A-Z]{2}$"
    )  # whose voice; a flag in `racewatch sources`
    note: str = ""
    enabled: bool = True
    # the N newest items of the first poll go through the rules as if new (0: silent baseline)
    backfill: int = Field(default=0, ge=0, le=50)


S = TypeVar("S", bound=SourceBase)


@dataclass(frozen=True)
class ParseContext:
    """What a kind's parser may use besides the body."""

    hub: HubSettings
    now: datetime
    country_of: Callable[[str | None], str | None]  # an organisation named in free text


@dataclass(frozen=True)
class Parsed:
    items: list[NewItem]  # storable already (bot.items.storable_item) where it applies
    board: BoardSnapshot | None = None  # a leaderboard's standings, kept for the gap


class Kind(Generic[S]):
    """One source type. Subclasses override what differs from a plain feed."""

    hub_token = False  # its requests to the configured Hub hosts carry HF_TOKEN
    hub_calls = False  # it counts against the Hub's API rate limit (bot/sources/budget.py)
    global_scope = False  # it watches no one country (coverage counts it as "global")

    def __init__(self, settings: type[S]) -> None:
        self.settings = settings
        self.type: str = settings.model_fields["type"].default

    def label(self, spec: S) -> str:
        """What the source is, as users see it (the sources table's ``url``)."""
        return str(getattr(spec, "url", "") or "")

    def request_url(self, spec: S, hub: HubSettings, label: str) -> str:
        """The address one poll fetches; hub addresses are built now from the configured
        endpoints, so a mirror change needs no database edit."""
        return label

    def parse(self, spec: S, body: bytes, ctx: ParseContext) -> Parsed | None:
        """Items from a body; None: feed markup, which the worker pool parses and
        classifies (bot/runtime/prepare.py)."""
        return None

    def organisation(self, spec: S, url: str, registry: Registry) -> Org | None:
        """Whose source this is, when the registry can tell (for coverage by country)."""
        return None

    def spec_of(self, stored: dict[str, Any]) -> S:
        """The settings from a sources row (keys racewatch adds, such as chat_workspace,
        are not settings)."""
        fields = self.settings.model_fields
        return self.settings.model_validate({k: v for k, v in stored.items() if k in fields})
