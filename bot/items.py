"""The neutral item types, named by stage: ``NewItem`` leaves a parser, the store keeps it."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from bot.text import normalise_url, storable, visible


@dataclass(frozen=True)
class HubFacts:
    """What a model hub tells us about a repository."""

    hub: str  # huggingface | modelscope
    repo_id: str
    namespace: str
    params: float | None = None
    licence: str | None = None
    pipeline_tag: str | None = None
    gated: bool | None = None
    downloads: int | None = None
    likes: int | None = None
    base_models: tuple[str, ...] = ()
    derivative: str | None = None  # finetune | quantized | adapter | merge
    library: str | None = None
    tags: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, object]:
        return {k: (list(v) if isinstance(v, tuple) else v) for k, v in self.__dict__.items()}

    @classmethod
    def from_dict(cls, data: dict[str, object] | None) -> HubFacts | None:
        if not data:
            return None
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        for key in ("base_models", "tags"):
            known[key] = tuple(known.get(key) or ())  # type: ignore[arg-type]
        return cls(**known)  # type: ignore[arg-type]


@dataclass(frozen=True)
class NewItem:
    """One entry from one source, normalised and ready to store."""

    guid: str
    title: str
    url: str | None
    summary: str
    published_at: datetime
    authors: tuple[str, ...] = ()
    language: str | None = None
    tags: tuple[str, ...] = ()
    hub: HubFacts | None = None


def _clean_hub(hub: HubFacts) -> HubFacts:
    changed: dict[str, object] = {}
    for key, value in hub.__dict__.items():
        if isinstance(value, str) and visible(value) != value:
            changed[key] = visible(value)
        elif isinstance(value, tuple) and any(visible(x) != x for x in value):
            changed[key] = tuple(visible(x) for x in value)
    return replace(hub, **changed) if changed else hub  # type: ignore[arg-type]


def storable_item(item: NewItem) -> NewItem:
    """``item`` as every store takes it and every reader can trust it: no NUL or other
    control characters in any text, no invisible or bidirectional-control characters in
    what is shown, and a link that is an RFC 3986 http(s) URI or nothing."""
    return replace(
        item,
        guid=storable(item.guid)[:500] or "empty-id",
        title=visible(item.title),
        url=normalise_url(item.url),
        summary=visible(item.summary),
        authors=tuple(a for a in (visible(x) for x in item.authors) if a),
        language=visible(item.language) if item.language else item.language,
        tags=tuple(t for t in (visible(x) for x in item.tags) if t),
        hub=_clean_hub(item.hub) if item.hub else None,
    )
