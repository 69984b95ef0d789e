"""A generic outgoing JSON webhook, for anything that is neither Discord nor Slack.

Every body carries a ``delivery_key`` (the same for every retry of one message, a new one
for every new message), so a receiver can drop a repeat; a 409 answer to a repeat means
"already delivered". An attempt whose outcome is unknown (timeout, reset, 5xx) is retried
with the same key: the receiver's dedupe is the only check a plain webhook offers.
"""

from __future__ import annotations

import base64

import aiohttp

from bot.alerts.card import AlertCard, Digest, StoryUpdate
from bot.alerts.report import RaceReport
from bot.delivery.base import DeliveryError
from bot.delivery.jsonl import card_json
from bot.delivery.keys import content_key, notice_key
from bot.delivery.pacing import RATES, Pacer
from bot.sources.http import parse_retry_after

SEND_TIMEOUT = 15.0


class WebhookSender:
    def __init__(self, name: str, url: str | None) -> None:
        self.name = name
        self.url = url
        self.pacer = Pacer(*RATES["webhook"])
        self.pace_channel = f"webhook:{content_key('', url)}" if url else None
        self._session: aiohttp.ClientSession | None = None

    async def _post(self, body: dict[str, object]) -> str | None:
        if not self.url:
            raise DeliveryError("the webhook URL environment variable is not set", permanent=True)
        if self._session is None:
            timeout = aiohttp.ClientTimeout(total=SEND_TIMEOUT)
            self._session = aiohttp.ClientSession(timeout=timeout)
        await self.pacer.wait()
        try:
            async with self._session.post(self.url, json=body) as response:
                if response.status < 300 or response.status == 409:  # 409: a repeat, kept once
                    return None
                retry = parse_retry_after(response.headers.get("Retry-After"))
                if response.status == 429 or response.status >= 500:
                    raise DeliveryError(
                        f"webhook answered HTTP {response.status}",
                        retry_after=retry,
                        uncertain=response.status >= 500,
                    )
                raise DeliveryError(f"webhook refused with HTTP {response.status}", permanent=True)
        except aiohttp.ClientConnectorError as exc:  # never connected: nothing was sent
            raise DeliveryError(f"cannot reach the webhook: {exc}") from None
        except TimeoutError:
            raise DeliveryError(
                f"the webhook did not answer in {SEND_TIMEOUT:.0f} s", uncertain=True
            ) from None
        except aiohttp.ClientError as exc:
            raise DeliveryError(f"webhook connection lost: {exc}", uncertain=True) from None

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

    async def send_digest(
        self, digest: Digest, key: str = "", uncertain: bool = False
    ) -> str | None:
        return await self._post(
            {
                "type": "digest",
                "delivery_key": key,
                "rule": digest.rule,
                "alerts": [card_json(c) for c in digest.cards],
            }
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
        await self._post({"type": "notice", "delivery_key": notice_key(text), "text": text})

    async def check(self) -> list[str]:
        return [] if self.url else ["the webhook URL environment variable is not set"]

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
