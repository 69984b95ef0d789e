"""What rules look at: one classified item, flattened into plain values."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from bot.attribution.classify import Classification
from bot.attribution.registry import Registry
from bot.attribution.vocab import licence_id
from bot.items import HubFacts


@dataclass(frozen=True)
class Facts:
    title: str
    summary: str
    source: str
    language: str | None
    country: str | None
    countries: frozenset[str]
    org_keys: frozenset[str]  # lower-cased ids and names of the orgs and their parents
    kind: str
    modalities: frozenset[str]
    open_weights: str
    licence: str | None
    params: float | None
    downloads: int | None
    likes: int | None
    published_at: datetime
    derivative: str | None = None  # how a hub upload derives from its base model
    release: bool = True  # False: a derivative re-publishing someone else's model


class Judged(Protocol):
    """What rules read of an item, whichever stage it is at (new, being stored, stored)."""

    @property
    def title(self) -> str: ...
    @property
    def summary(self) -> str: ...
    @property
    def language(self) -> str | None: ...
    @property
    def published_at(self) -> datetime: ...
    @property
    def hub(self) -> Any: ...


def facts_for(item: Judged, cls: Classification, source_name: str, registry: Registry) -> Facts:
    """The plain values rules match: the item's text and the classification's verdict."""
    keys: set[str] = set()
    for org_id in cls.orgs:
        keys |= registry.rule_keys.get(org_id, frozenset())
    hub: dict[str, Any] = (
        item.hub.as_dict() if isinstance(item.hub, HubFacts) else dict(item.hub or {})
    )
    return Facts(
        title=item.title,
        summary=item.summary,
        source=source_name,
        language=item.language,
        country=cls.primary_country,
        countries=frozenset(cls.countries),
        org_keys=frozenset(keys),
        kind=cls.kind,
        modalities=frozenset(cls.modalities),
        open_weights=cls.open_weights,
        licence=licence_id(cls.licence) or ("other" if cls.licence else None),
        params=cls.params,
        downloads=hub.get("downloads"),
        likes=hub.get("likes"),
        published_at=item.published_at,
        derivative=cls.derivative,
        release=cls.release,
    )
