"""The neutral item types, named by stage: ``NewItem`` leaves a parser, the store keeps it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


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
    extra: dict[str, str] = field(default_factory=dict)
