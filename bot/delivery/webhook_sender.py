"""A generic outgoing JSON webhook, for anything that is neither Discord nor Slack."""

from __future__ import annotations

import base64

import aiohttp

from bot.alerts.card import AlertCard, Digest, StoryUpdate
from bot.alerts.report import RaceReport
from bot.delivery.base import DeliveryError
from bot.delivery.jsonl import card_json
from bot.delivery.pacing import RATES, Pacer
from bot.sources.http import parse_retry_after


class WebhookSender:
    def __init__(self, name: str, url: str | None) -> None:
        self.name = name
        self.url = url
        self.pacer = Pacer(*RATES["webhook"])
        self._session: aiohttp.ClientSession | None = None

    async def _post(self, body: dict[str, object]) -> str | None:
        if not self.url:
            raise DeliveryError("the webhook URL environment variable is not set", permanent=True)
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=20))
        await self.pacer.wait()
        try:
            async with self._session.post(self.url, json=body) as response:
                if response.status < 300:
                    return None
                retry = parse_retry_after(response.headers.get("Retry-After"))
                if response.status == 429 or response.status >= 500:
                    raise DeliveryError(
                        f"webhook answered HTTP {response.status}", retry_after=retry
                    )
                raise DeliveryError(f"webhook refused with HTTP {response.status}", permanent=True)
        except aiohttp.ClientError as exc:
            raise DeliveryError(f"cannot reach the webhook: {exc}") from None
        except TimeoutError:
            raise DeliveryError("the webhook did not answer in 20 s") from None

    async def send(self, card: AlertCard, key: str = "", uncertain: bool = False) -> str | None:
        # a receiver can drop a repeat by delivery_key (sent again only after a crash mid-send)
        return await self._post({"type": "alert", "delivery_key": key, **card_json(card)})

    async def send_update(
        self, update: StoryUpdate, key: str = "", uncertain: bool = False
    ) -> str | None:
        return await self._post(
            {
                "type": "update",
                "delivery_key": key,
                "story_id": update.story_id,
                "text": update.text,
                "coverage": [{"source": s, "title": t, "url": u} for s, t, u in update.coverage],
            }
        )

    async def send_digest(self, digest: Digest) -> str | None:
        return await self._post(
            {"type": "digest", "rule": digest.rule, "alerts": [card_json(c) for c in digest.cards]}
        )

    async def send_report(self, report: RaceReport) -> str | None:
        image = base64.b64encode(report.image).decode() if report.image else None
        return await self._post(
            {
                "type": "report",
                "delivery_key": report.key,
                "title": report.title,
                "sections": [
                    {"heading": h, "lines": [{"text": x.text, "url": x.url} for x in lines]}
                    for h, lines in report.sections
                ],
                "image_png_base64": image,
            }
        )

    async def notice(self, text: str) -> None:
        await self._post({"type": "notice", "text": text})

    async def check(self) -> list[str]:
        return [] if self.url else ["the webhook URL environment variable is not set"]

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
