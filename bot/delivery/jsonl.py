"""Alerts as JSON lines appended to a file, for scripts and for tests."""

from __future__ import annotations

import asyncio
import json
import os
from dataclasses import asdict
from pathlib import Path
from typing import Any

from bot.alerts.card import AlertCard, Digest, StoryUpdate
from bot.alerts.report import RaceReport
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

    def _already(self, key: str) -> bool:
        if not key or not self.path.exists():
            return False
        marker = f'"delivery": "{key}"'
        with self.path.open(encoding="utf-8") as fh:
            return any(marker in line for line in fh)

    async def send(self, card: AlertCard, key: str = "", uncertain: bool = False) -> str | None:
        if uncertain and await asyncio.to_thread(self._already, key):
            return key
        await asyncio.to_thread(self._append, {"type": "alert", "delivery": key, **card_json(card)})
        return key or None

    async def send_update(
        self, update: StoryUpdate, key: str = "", uncertain: bool = False
    ) -> str | None:
        if uncertain and await asyncio.to_thread(self._already, key):
            return key
        record = {
            "type": "update",
            "delivery": key,
            "story_id": update.story_id,
            "title": update.title,
            "text": update.text,
            "reply_to": update.reply_to,
            "coverage": [{"source": s, "title": t, "url": u} for s, t, u in update.coverage],
        }
        await asyncio.to_thread(self._append, record)
        return key or None

    async def send_digest(
        self, digest: Digest, key: str = "", uncertain: bool = False
    ) -> str | None:
        if uncertain and await asyncio.to_thread(self._already, key):
            return key
        record = {
            "type": "digest",
            "delivery": key,
            "rule": digest.rule,
            "title": digest.title,
            "alerts": [card_json(c) for c in digest.cards],
        }
        await asyncio.to_thread(self._append, record)
        return key or None

    async def send_report(self, report: RaceReport) -> str | None:
        record = {
            "type": "report",
            "key": report.key,
            "title": report.title,
            "sections": [
                {"heading": h, "lines": [{"text": x.text, "url": x.url} for x in lines]}
                for h, lines in report.sections
            ],
            "image": report.image_name if report.image is not None else None,
            "image_bytes": len(report.image or b""),
        }
        await asyncio.to_thread(self._append, record)
        return report.key

    async def notice(self, text: str) -> None:
        await asyncio.to_thread(self._append, {"type": "notice", "text": text})

    async def check(self) -> list[str]:
        folder = self.path.parent
        if folder.exists() and not os.access(folder, os.W_OK):
            return [f"cannot write to {folder}"]
        return []

    async def close(self) -> None:
        return None
