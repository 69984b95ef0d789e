"""Hugging Face Hub: new model repositories of an organisation, as items with hub facts."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from pydantic import ValidationError

from bot.errors import FetchError
from bot.items import HubFacts, NewItem
from bot.sources.clean import clean_line
from bot.sources.hub_json import HfCard, HfModel

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


def _time(value: str | None) -> datetime | None:
    if value is None or value == _EPOCH_PLACEHOLDER:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)
    except ValueError:
        return None


def hub_facts(model: HfModel) -> HubFacts:
    """What racewatch keeps of a repo: the same from a poll, a webhook or a trending list."""
    tags = model.tags[:200]
    card = model.card or HfCard()
    derivative, bases = _derivative(tags)
    if model.base_models is not None:
        listed = [m.id for m in model.base_models.models if m.id]
        bases = tuple(dict.fromkeys([*bases, *listed]))
        if model.base_models.relation and not derivative:
            derivative = model.base_models.relation[:20]
    bases = tuple(dict.fromkeys([*bases, *(b for b in card.base_model if "/" in b)]))
    licence = card.license or next(
        (t.removeprefix("license:") for t in tags if t.startswith("license:")), None
    )
    params = model.safetensors.total if model.safetensors else None
    gated = model.gated
    return HubFacts(
        hub="huggingface",
        repo_id=model.id,
        namespace=model.id.split("/", 1)[0],
        params=float(params) if params is not None and params > 0 else None,
        licence=licence[:80] if licence else None,
        pipeline_tag=model.pipeline_tag,
        gated=None if gated is None else bool(gated),  # False, or "auto" / "manual"
        downloads=model.downloads,
        likes=model.likes,
        base_models=bases,
        derivative=derivative,
        library=model.library_name,
        tags=tuple(t for t in tags if not t.startswith(("region:", "endpoints_compatible")))[:50],
    )


def hub_item(model: HfModel, endpoint: str, published_at: datetime) -> NewItem:
    """The item for a new repo: one factory for polling and webhooks, so the two can never
    produce different ids, titles or facts for one repo."""
    facts = hub_facts(model)
    name = model.id.split("/", 1)[1]
    return NewItem(
        guid=f"hf:{model.id}",
        title=clean_line(f"{facts.namespace} released {name} on Hugging Face", 300),
        url=f"{endpoint.rstrip('/')}/{model.id}",
        summary="",
        published_at=published_at,
        language="en",
        tags=facts.tags,
        hub=facts,
    )


def model_to_item(raw: dict[str, Any], endpoint: str, fetched_at: datetime) -> NewItem | None:
    """One entry of ``/api/models`` as an item, or ``None`` when the entry is unusable."""
    try:
        model = HfModel.model_validate(raw)
    except ValidationError:
        return None
    created = _time(model.created_at) or _time(model.last_modified) or fetched_at
    return hub_item(model, endpoint, min(created, fetched_at))


def parse_models(body: bytes, endpoint: str, fetched_at: datetime) -> list[NewItem]:
    try:
        doc = json.loads(body)
    except (ValueError, RecursionError) as exc:
        raise FetchError(f"Hugging Face answered with invalid JSON: {str(exc)[:120]}") from None
    if not isinstance(doc, list):
        raise FetchError("Hugging Face answered with something other than a list of models")
    items = [model_to_item(raw, endpoint, fetched_at) for raw in doc if isinstance(raw, dict)]
    return [i for i in items if i is not None]
