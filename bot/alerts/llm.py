"""Optional LLM summaries through any OpenAI-compatible endpoint. Off by default.

Summaries are written beside the item as soon as the model answers; the outbox never waits
for them. An alert sent before the answer uses the extractive summary, and any failure
(timeout, bad key, odd JSON) falls back the same way.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Sequence

import aiohttp
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.config.settings import LLMSettings
from bot.sources.clean import clean_text
from bot.store.schema import Item

log = logging.getLogger(__name__)
PROMPT = (
    "Summarise this AI news item for analysts following the US-China AI race, in at most "
    "two plain sentences: who released what, and why it matters. No speculation, no "
    "markup, no emoji."
)


class Summariser:
    def __init__(self, settings: LLMSettings, sessions: sessionmaker[Session]) -> None:
        self.settings = settings
        self.sessions = sessions
        self.key = os.environ.get(settings.api_key_env, "")
        self._http: aiohttp.ClientSession | None = None
        self._gate = asyncio.Semaphore(2)
        self._warned = False

    @property
    def enabled(self) -> bool:
        return self.settings.enabled

    async def close(self) -> None:
        if self._http is not None:
            await self._http.close()

    async def summarise_items(self, item_ids: Sequence[int]) -> int:
        if not self.enabled or not item_ids:
            return 0
        rows = await asyncio.to_thread(self._load, list(item_ids))
        results = await asyncio.gather(*(self._one(i, t, s) for i, t, s in rows))
        done = [(i, text) for (i, _, _), text in zip(rows, results, strict=True) if text]
        if done:
            await asyncio.to_thread(self._store, done)
        return len(done)

    def _load(self, ids: list[int]) -> list[tuple[int, str, str]]:
        with self.sessions.begin() as session:
            return [
                (i.id, i.title, i.summary)
                for i in session.scalars(
                    select(Item).where(Item.id.in_(ids), Item.summary_llm.is_(None))
                )
            ]

    def _store(self, done: list[tuple[int, str]]) -> None:
        with self.sessions.begin() as session:
            for item_id, text in done:
                item = session.get(Item, item_id)
                if item is not None:
                    item.summary_llm = text

    async def _one(self, item_id: int, title: str, summary: str) -> str | None:
        async with self._gate:
            try:
                return await asyncio.wait_for(self._ask(title, summary), self.settings.timeout)
            except (
                TimeoutError,
                aiohttp.ClientError,
                ValueError,
                KeyError,
                TypeError,
                IndexError,
            ) as exc:
                if not self._warned:
                    log.warning(
                        "LLM summary failed (%s); using extractive summaries", type(exc).__name__
                    )
                    self._warned = True
                return None

    async def _ask(self, title: str, summary: str) -> str | None:
        if self._http is None:
            self._http = aiohttp.ClientSession()
        body = {
            "model": self.settings.model,
            "temperature": 0.2,
            "max_tokens": 120,
            "messages": [
                {"role": "system", "content": PROMPT},
                {"role": "user", "content": f"{title}\n\n{summary[:3000]}"},
            ],
        }
        headers = {"Authorization": f"Bearer {self.key}"} if self.key else {}
        url = self.settings.base_url.rstrip("/") + "/chat/completions"
        async with self._http.post(url, json=body, headers=headers) as response:
            if response.status != 200:
                raise ValueError(f"HTTP {response.status}")
            data = await response.json(content_type=None)
        text = clean_text(str(data["choices"][0]["message"]["content"]), 400)
        return text or None
