"""Discord delivery through a channel webhook, over plain aiohttp.

Not through discord.py's webhook adapter: that one re-posts by itself after a 5xx or a
connection reset, and a webhook message has no nonce, so each of those retries could post
the alert twice. Here every post is one request with ``?wait=true`` (Discord answers with
the stored message, so a dropped post is an error, not silence), cut at ``SEND_TIMEOUT``.

What it cannot guarantee: a webhook cannot read its channel. After an attempt whose outcome
is unknown (a timeout, a reset, a 5xx, a crash mid-send), racewatch looks for the earlier
message only when a bot token (``DISCORD_TOKEN``, a bot in that server with Read Message
History) is set; without one it posts again, so such a fault can leave one duplicate.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from typing import Any

import aiohttp

from bot.alerts.card import AlertCard, Digest, StoryUpdate
from bot.alerts.report import RaceReport
from bot.delivery.base import DeliveryError
from bot.delivery.discord_sender import (
    LOOKBACK,
    PERMANENT_CODES,
    REJECTED_CODES,
    SEND_TIMEOUT,
    api_base,
    fingerprint,
    payload_fingerprint,
)
from bot.delivery.keys import notice_key, part_key
from bot.delivery.pacing import RATES, Pacer
from bot.delivery.render_discord import alert_payload, digest_payloads, update_payload
from bot.delivery.render_report import report_discord_payload
from bot.delivery.safe import discord_text

log = logging.getLogger(__name__)
_HOOK = re.compile(r"/webhooks/(\d+)/([A-Za-z0-9_.\-]+)")


def _refusal(status: int, data: Any) -> DeliveryError:
    body = data if isinstance(data, dict) else {}
    code = int(body.get("code") or 0)
    text = str(body.get("message") or status)[:200]
    if status == 429:
        retry = body.get("retry_after")
        return DeliveryError(
            "Discord rate-limited the webhook",
            retry_after=float(retry) if isinstance(retry, int | float) else None,
        )
    if status >= 500:  # Discord may have stored it before failing
        return DeliveryError(f"Discord error {status}: {text}", uncertain=True)
    if code in REJECTED_CODES or status == 413:
        return DeliveryError(
            f"Discord refused this message: {REJECTED_CODES.get(code, 'too large')} ({text})",
            rejected=True,
        )
    if code in PERMANENT_CODES or status in (401, 403, 404):
        return DeliveryError(f"Discord refused: {PERMANENT_CODES.get(code, text)}", permanent=True)
    return DeliveryError(f"Discord error {status}: {text}")


class DiscordWebhookSender:
    def __init__(self, name: str, url: str | None, lookup_token: str | None = None) -> None:
        self.name = name
        self.url = url
        self.lookup_token = lookup_token  # a bot token, to read the channel before a resend
        self.pacer = Pacer(*RATES["discord_webhook"])
        match = _HOOK.search(url or "")
        self.pace_channel = f"discord-webhook:{match.group(1)}" if match else None
        self._session: aiohttp.ClientSession | None = None
        self._channel_id: str | None = None

    def _hook(self) -> tuple[str, str]:
        if not self.url:
            raise DeliveryError("DISCORD_WEBHOOK_URL is not set", permanent=True)
        match = _HOOK.search(self.url)
        if match is None:
            raise DeliveryError("DISCORD_WEBHOOK_URL is not a Discord webhook URL", permanent=True)
        return match.group(1), match.group(2)

    async def _call(
        self, method: str, url: str, headers: dict[str, str] | None = None, **kwargs: Any
    ) -> Any:
        if self._session is None:
            self._session = aiohttp.ClientSession()
        try:
            async with asyncio.timeout(SEND_TIMEOUT):
                async with self._session.request(method, url, headers=headers, **kwargs) as r:
                    text = await r.text()
                    data = json.loads(text) if text.startswith(("{", "[")) else None
                    if r.status >= 300:
                        raise _refusal(r.status, data)
                    return data
        except aiohttp.ClientConnectorError as exc:  # never connected: nothing was sent
            raise DeliveryError(f"cannot reach Discord: {exc}") from None
        except TimeoutError:
            raise DeliveryError(
                f"Discord did not answer in {SEND_TIMEOUT:.0f} s", uncertain=True
            ) from None
        except (aiohttp.ClientError, OSError, ValueError) as exc:
            raise DeliveryError(f"Discord connection lost: {exc}", uncertain=True) from None

    async def _earlier(self, hook_id: str, token: str, wanted: str) -> str | None:
        if not self.lookup_token:
            log.warning(
                "%s: an earlier attempt may have posted; a webhook cannot check without "
                "DISCORD_TOKEN, so it posts again",
                self.name,
            )
            return None
        try:
            if self._channel_id is None:
                info = await self._call("GET", f"{api_base()}/webhooks/{hook_id}/{token}")
                self._channel_id = str(info["channel_id"])
            messages = await self._call(
                "GET",
                f"{api_base()}/channels/{self._channel_id}/messages",
                headers={"Authorization": f"Bot {self.lookup_token}"},
                params={"limit": str(LOOKBACK)},
            )
        except (DeliveryError, KeyError, TypeError) as exc:
            raise DeliveryError(
                f"could not check the channel for an earlier post ({exc}); checking again later",
                uncertain=True,
            ) from None
        for message in messages or []:
            if str(message.get("webhook_id")) != hook_id:
                continue
            if fingerprint(message.get("content"), message.get("embeds") or []) == wanted:
                return str(message["id"])
        return None

    async def _send(
        self,
        payload: dict[str, Any],
        key: str = "",
        uncertain: bool = False,
        image: tuple[str, bytes] | None = None,
    ) -> str:
        hook_id, token = self._hook()
        if key and uncertain:
            earlier = await self._earlier(hook_id, token, payload_fingerprint(payload))
            if earlier is not None:
                log.info("%s: delivery %s was already posted (%s)", self.name, key, earlier)
                return earlier
        body = {**payload, "username": "racewatch"}
        body.setdefault("allowed_mentions", {"parse": []})
        url = f"{api_base()}/webhooks/{hook_id}/{token}"
        await self.pacer.wait()
        if image is None:
            message = await self._call("POST", url, params={"wait": "true"}, json=body)
        else:
            form = aiohttp.FormData()
            form.add_field("payload_json", json.dumps(body), content_type="application/json")
            form.add_field("files[0]", image[1], filename=image[0], content_type="image/png")
            message = await self._call("POST", url, params={"wait": "true"}, data=form)
        return str((message or {}).get("id", ""))

    async def send(self, card: AlertCard, key: str = "", uncertain: bool = False) -> str | None:
        return await self._send(alert_payload(card), key, uncertain)

    async def send_update(
        self, update: StoryUpdate, key: str = "", uncertain: bool = False
    ) -> str | None:
        payload = update_payload(update)
        payload.pop("message_reference", None)  # webhooks cannot reply; the update stands alone
        return await self._send(payload, key, uncertain)

    async def send_digest(
        self, digest: Digest, key: str = "", uncertain: bool = False
    ) -> str | None:
        ids = [
            await self._send(payload, part_key(key, i) if key else "", uncertain)
            for i, payload in enumerate(digest_payloads(digest))
        ]
        return ids[0]

    async def send_report(self, report: RaceReport) -> str | None:
        payload = report_discord_payload(report)
        image = (report.image_name, report.image) if report.image is not None else None
        # a resend comes a week's job later: look first whenever the channel can be read
        return await self._send(payload, report.key, bool(self.lookup_token), image=image)

    async def notice(self, text: str) -> None:
        await self._send({"content": "⚠️ " + discord_text(text, 1900)}, notice_key(text))

    async def check(self) -> list[str]:
        try:
            hook_id, token = self._hook()
            info = await self._call("GET", f"{api_base()}/webhooks/{hook_id}/{token}")
        except DeliveryError as exc:
            return [str(exc)]
        if self.lookup_token and isinstance(info, dict) and info.get("channel_id"):
            try:  # the look before a resend reads the channel with the bot token
                await self._call(
                    "GET",
                    f"{api_base()}/channels/{info['channel_id']}/messages",
                    headers={"Authorization": f"Bot {self.lookup_token}"},
                    params={"limit": "1"},
                )
            except DeliveryError as exc:
                return [
                    f"DISCORD_TOKEN's bot cannot read the webhook's channel ({exc}): invite it "
                    "there with Read Message History, or a send cut short waits to be checked"
                ]
        return []

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
