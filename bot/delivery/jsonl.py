"""Alerts as JSON lines appended to a file, for scripts and for tests."""

from __future__ import annotations

import asyncio
import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

from bot.alerts.card import AlertCard, Digest, StoryUpdate
from bot.delivery.base import DeliveryError


def card_json(card: AlertCard) -> dict[str, Any]:
    data = asdict(card)
    data["published_at"] = card.published_at.isoformat()
    data["facts"] = dict(card.facts)
    data["links"] = [{"label": label, "url": url} for label, url in card.links]
    return data


class JsonlSender:
    def __init__(self, name: str, path: Path) -> None:
        self.name = name
        self.path = path

    def _append(self, record: dict[str, Any]) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as fh:
                fh.write(json.dumps(record, ensure_ascii=False) + "\n")
        except OSError as exc:
            raise DeliveryError(
                f"cannot write {self.path}: {exc.strerror}", permanent=True
            ) from None

    async def send(self, card: AlertCard) -> str | None:
        await asyncio.to_thread(self._append, {"type": "alert", **card_json(card)})
        return None

    async def send_update(self, update: StoryUpdate) -> str | None:
        record = {
            "type": "update",
            "story_id": update.story_id,
            "title": update.title,
            "text": update.text,
            "reply_to": update.reply_to,
            "coverage": [{"source": s, "title": t, "url": u} for s, t, u in update.coverage],
        }
        await asyncio.to_thread(self._append, record)
        return None

    async def send_digest(self, digest: Digest) -> str | None:
        record = {
            "type": "digest",
            "rule": digest.rule,
            "title": digest.title,
            "alerts": [card_json(c) for c in digest.cards],
        }
        await asyncio.to_thread(self._append, record)
        return None

    async def notice(self, text: str) -> None:
        await asyncio.to_thread(self._append, {"type": "notice", "text": text})

    async def close(self) -> None:
        return None
