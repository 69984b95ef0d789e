"""Hugging Face trending: a model entering the Hub's trending list becomes an item."""

from __future__ import annotations

import json
from datetime import datetime

from bot.errors import FetchError
from bot.items import NewItem
from bot.sources.huggingface import model_to_item


def trending_url(endpoint: str, limit: int = 20) -> str:
    return f"{endpoint.rstrip('/')}/api/trending?type=model&limit={limit}"


def parse_trending(body: bytes, endpoint: str, fetched_at: datetime) -> list[NewItem]:
    try:
        doc = json.loads(body)
    except (ValueError, RecursionError) as exc:
        raise FetchError(
            f"Hugging Face trending answered with invalid JSON: {str(exc)[:120]}"
        ) from None
    entries = doc.get("recentlyTrending") if isinstance(doc, dict) else None
    if not isinstance(entries, list):
        raise FetchError("Hugging Face trending answer has no 'recentlyTrending' list")
    items = []
    for position, entry in enumerate(entries, start=1):
        if not isinstance(entry, dict) or entry.get("repoType", "model") != "model":
            continue
        data = entry.get("repoData")
        base = model_to_item(data, endpoint, fetched_at) if isinstance(data, dict) else None
        if base is None or base.hub is None:
            continue
        items.append(
            NewItem(
                guid=f"trending:{base.hub.repo_id}",
                title=f"{base.hub.repo_id} is trending on Hugging Face (#{position})",
                url=base.url,
                summary="",
                published_at=fetched_at,
                language="en",
                tags=("trending", *base.tags),
                hub=base.hub,
            )
        )
    return items
