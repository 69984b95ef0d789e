"""Hugging Face Hub: new model repositories of an organisation, as items with hub facts."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from bot.errors import FetchError
from bot.items import HubFacts, NewItem
from bot.sources.clean import clean_line

EXPAND = (
    "author",
    "baseModels",
    "cardData",
    "createdAt",
    "downloads",
    "gated",
    "lastModified",
    "library_name",
    "likes",
    "pipeline_tag",
    "safetensors",
    "tags",
)
# Every repo older than the createdAt field carries this date; it means "unknown".
_EPOCH_PLACEHOLDER = "2022-03-02T23:29:04.000Z"


def list_models_url(endpoint: str, org: str, limit: int) -> str:
    query = [("author", org), ("sort", "createdAt"), ("direction", "-1"), ("limit", str(limit))]
    query += [("expand[]", field) for field in EXPAND]
    return f"{endpoint.rstrip('/')}/api/models?{urlencode(query)}"


def _derivative(tags: list[str]) -> tuple[str | None, tuple[str, ...]]:
    kind = None
    bases: list[str] = []
    for tag in tags:
        if not tag.startswith("base_model:"):
            continue
        rest = tag[len("base_model:") :]
        relation, _, target = rest.partition(":")
        if target and relation in ("finetune", "quantized", "adapter", "merge"):
            kind = kind or relation
            bases.append(target)
        elif "/" in rest and ":" not in rest:
            bases.append(rest)
    return kind, tuple(dict.fromkeys(bases))


def _licence(tags: list[str], card: dict[str, Any]) -> str | None:
    value = card.get("license")
    if isinstance(value, str) and value:
        return value[:80]
    for tag in tags:
        if tag.startswith("license:"):
            return tag[len("license:") :][:80]
    return None


def _time(value: Any) -> datetime | None:
    if not isinstance(value, str) or value == _EPOCH_PLACEHOLDER:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)
    except ValueError:
        return None


def model_to_item(raw: dict[str, Any], endpoint: str, fetched_at: datetime) -> NewItem | None:
    """One entry of ``/api/models`` as an item, or ``None`` when the entry is unusable."""
    repo_id = raw.get("id") or raw.get("modelId")
    if not isinstance(repo_id, str) or "/" not in repo_id or len(repo_id) > 200:
        return None
    namespace, name = repo_id.split("/", 1)
    tags = [t for t in raw.get("tags") or [] if isinstance(t, str)][:200]
    card_data = raw.get("cardData")
    card: dict[str, Any] = card_data if isinstance(card_data, dict) else {}
    derivative, bases = _derivative(tags)
    base_models = raw.get("baseModels")
    if isinstance(base_models, dict) and isinstance(base_models.get("models"), list):
        extra = [m.get("id") for m in base_models["models"] if isinstance(m, dict)]
        bases = tuple(dict.fromkeys([*bases, *[b for b in extra if isinstance(b, str)]]))
        if base_models.get("relation") and not derivative:
            derivative = str(base_models["relation"])[:20]
    card_base = card.get("base_model")
    card_bases = card_base if isinstance(card_base, list) else [card_base]
    bases = tuple(
        dict.fromkeys([*bases, *[b for b in card_bases if isinstance(b, str) and "/" in b]])
    )
    st_data = raw.get("safetensors")
    safetensors: dict[str, Any] = st_data if isinstance(st_data, dict) else {}
    params = safetensors.get("total")
    gated = raw.get("gated")
    facts = HubFacts(
        hub="huggingface",
        repo_id=repo_id,
        namespace=namespace,
        params=float(params) if isinstance(params, int | float) and params > 0 else None,
        licence=_licence(tags, card),
        pipeline_tag=raw.get("pipeline_tag") if isinstance(raw.get("pipeline_tag"), str) else None,
        gated=bool(gated) if gated is not None else None,
        downloads=raw.get("downloads") if isinstance(raw.get("downloads"), int) else None,
        likes=raw.get("likes") if isinstance(raw.get("likes"), int) else None,
        base_models=bases,
        derivative=derivative,
        library=raw.get("library_name") if isinstance(raw.get("library_name"), str) else None,
        tags=tuple(t for t in tags if not t.startswith(("region:", "endpoints_compatible")))[:50],
    )
    created = _time(raw.get("createdAt")) or _time(raw.get("lastModified")) or fetched_at
    return NewItem(
        guid=f"hf:{repo_id}",
        title=clean_line(f"{namespace} released {name} on Hugging Face", 300),
        url=f"{endpoint.rstrip('/')}/{repo_id}",
        summary="",
        published_at=min(created, fetched_at),
        language="en",
        tags=facts.tags,
        hub=facts,
    )


def parse_models(body: bytes, endpoint: str, fetched_at: datetime) -> list[NewItem]:
    try:
        doc = json.loads(body)
    except (ValueError, RecursionError) as exc:
        raise FetchError(f"Hugging Face answered with invalid JSON: {str(exc)[:120]}") from None
    if not isinstance(doc, list):
        raise FetchError("Hugging Face answered with something other than a list of models")
    items = [model_to_item(raw, endpoint, fetched_at) for raw in doc if isinstance(raw, dict)]
    return [i for i in items if i is not None]
