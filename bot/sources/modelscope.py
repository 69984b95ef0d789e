"""ModelScope: new model repositories of an organisation, as items with hub facts.

ModelScope mirrors many US models under its own namespaces (LLM-Research/...), so origin
comes from the registry's namespace table, never from the hub itself.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from bot.errors import FetchError
from bot.items import HubFacts, NewItem
from bot.sources.clean import clean_line
from bot.sources.hub_json import MsModel


def list_models_url(endpoint: str, org: str, limit: int) -> str:
    query = {"owner": org, "sort": "last_modified", "page_number": 1, "page_size": min(limit, 50)}
    return f"{endpoint.rstrip('/')}/openapi/v1/models?{urlencode(query)}"


def _time(value: int | float | str | None) -> datetime | None:
    if isinstance(value, int | float):
        if value <= 0:
            return None
        return datetime.fromtimestamp(value / 1000 if value > 1e12 else value, UTC)
    if value:
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return None


def model_to_item(
    raw: dict[str, Any], org: str, endpoint: str, fetched_at: datetime
) -> NewItem | None:
    """One entry of ModelScope's model list as an item, or ``None`` when it has no id."""
    model = MsModel.model_validate(raw)
    repo_id = model.id or (f"{org}/{model.name}" if model.name else None)
    if not repo_id or len(repo_id) > 200:
        return None
    if "/" not in repo_id:
        repo_id = f"{org}/{repo_id}"
    namespace, name = repo_id.split("/", 1)
    facts = HubFacts(
        hub="modelscope",
        repo_id=repo_id,
        namespace=namespace,
        licence=model.license or None,
        pipeline_tag=model.tasks[0] if model.tasks else None,
        downloads=model.downloads,
        likes=model.likes,
        tags=tuple(model.tags[:50]),
    )
    created = _time(model.created_at) or _time(model.last_modified) or fetched_at
    return NewItem(
        guid=f"ms:{repo_id}",
        title=clean_line(f"{namespace} released {model.display_name or name} on ModelScope", 300),
        url=f"{endpoint.rstrip('/')}/models/{repo_id}",
        summary="",
        published_at=min(created, fetched_at),
        language="en",
        tags=facts.tags,
        hub=facts,
    )


def parse_models(body: bytes, org: str, endpoint: str, fetched_at: datetime) -> list[NewItem]:
    try:
        doc = json.loads(body)
    except (ValueError, RecursionError) as exc:
        raise FetchError(f"ModelScope answered with invalid JSON: {str(exc)[:120]}") from None
    data = doc.get("data") if isinstance(doc, dict) else None
    models = data.get("models") if isinstance(data, dict) else None
    if not isinstance(models, list):
        message = doc.get("message") if isinstance(doc, dict) else None
        raise FetchError(
            f"ModelScope answered without a model list{f': {message}' if message else ''}"
        )
    items = [model_to_item(m, org, endpoint, fetched_at) for m in models if isinstance(m, dict)]
    return [i for i in items if i is not None]
