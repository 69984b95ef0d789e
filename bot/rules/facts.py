"""What rules look at: one classified item, flattened into plain values."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


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
