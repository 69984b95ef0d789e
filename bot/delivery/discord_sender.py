"""Discord delivery through discord.py: a bot posting to a channel, or a channel webhook.

REST only: sending needs no gateway connection, so any racewatch process can send (the
gateway, for slash commands, is held by one process). discord.py waits out 429s itself,
honouring ``retry_after``; what it gives up on comes back here as a retry or a permanent
error.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import aiohttp
import discord

from bot.alerts.card import AlertCard, Digest, StoryUpdate
from bot.alerts.report import RaceReport
from bot.delivery.base import DeliveryError
from bot.delivery.pacing import RATES, Pacer
from bot.delivery.render_discord import alert_payload, digest_payload, update_payload
from bot.delivery.render_report import report_discord_payload
from bot.delivery.safe import discord_text

log = logging.getLogger(__name__)
T = TypeVar("T")
# Discord JSON error codes that no retry will fix
PERMANENT_CODES = {
    10003: "unknown channel",
    10015: "unknown webhook",
    50001: "missing access",
    50013: "missing permissions",
}
# the message itself was refused (a malformed field): that message, never the destination
REJECTED_CODES = {50035: "invalid message", 50006: "empty message", 40005: "too large"}


def use_api(base: str) -> None:
    """Point discord.py at ``base`` (the real API unless a proxy or test server is set)."""
    discord.http.Route.BASE = base.rstrip("/")


def _mentions(roles: list[str]) -> discord.AllowedMentions:
    return discord.AllowedMentions(
        everyone=False,
        users=False,
        replied_user=False,
        roles=[discord.Object(int(r)) for r in roles],
    )


def _kwargs(payload: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"content": payload.get("content")}
    if payload.get("embeds"):
        out["embeds"] = [discord.Embed.from_dict(e) for e in payload["embeds"]]
    roles = payload.get("allowed_mentions", {}).get("roles", [])
    out["allowed_mentions"] = _mentions(roles)
    return out


async def _translate(call: Callable[[], Awaitable[T]]) -> T:
    try:
        return await call()
    except discord.LoginFailure:
        raise DeliveryError(
            "the Discord token is invalid (DISCORD_TOKEN)", permanent=True
        ) from None
    except discord.HTTPException as exc:
        if exc.code in REJECTED_CODES or exc.status == 413:
            raise DeliveryError(
                f"Discord refused this message: {REJECTED_CODES.get(exc.code, 'too large')} "
                f"({exc.text[:200]})",
                rejected=True,
            ) from None
        reason = PERMANENT_CODES.get(exc.code)
        if reason or exc.status in (401, 403, 404):
            raise DeliveryError(
                f"Discord refused: {reason or exc.text or exc.status}", permanent=True
            ) from None
        raise DeliveryError(f"Discord error {exc.status}: {exc.text[:200]}") from None
    except (aiohttp.ClientError, TimeoutError, OSError) as exc:
        raise DeliveryError(f"cannot reach Discord: {exc}") from None


def _chart_file(report: RaceReport) -> discord.File | None:
    if report.image is None:
        return None
    return discord.File(io.BytesIO(report.image), filename=report.image_name)


class DiscordBotSender:
    def __init__(self, name: str, channel_id: str, token: str | None) -> None:
        self.name = name
        self.channel_id = int(channel_id)
        self.token = token
        self.pacer = Pacer(*RATES["discord"])
        self._client: discord.Client | None = None

    async def _channel(self) -> discord.PartialMessageable:
        if not self.token:
            raise DeliveryError(
                "DISCORD_TOKEN is not set; put the bot token in the environment", permanent=True
            )
        if self._client is None:
            client = discord.Client(
                intents=discord.Intents.none(), allowed_mentions=discord.AllowedMentions.none()
            )
            try:
                await _translate(lambda: client.login(self.token or ""))
            except DeliveryError:
                await client.close()  # login opened an HTTP session: a failed one must not leak
                raise
            self._client = client
        return self._client.get_partial_messageable(self.channel_id)

    async def _send(
        self,
        payload: dict[str, Any],
        reply_to: str | None = None,
        key: str = "",
        image: discord.File | None = None,
    ) -> str:
        channel = await self._channel()
        kwargs = _kwargs(payload)
        if image is not None:
            kwargs["file"] = image
        if key:  # Discord drops a repeat with the same nonce, so a resend after a crash is safe
            kwargs["nonce"] = f"rw-{key}"[:25]
        if reply_to:
            kwargs["reference"] = discord.MessageReference(
                message_id=int(reply_to), channel_id=self.channel_id, fail_if_not_exists=False
            )
        await self.pacer.wait()
        message = await _translate(lambda: channel.send(**kwargs))
        return str(message.id)

    async def send(self, card: AlertCard, key: str = "", uncertain: bool = False) -> str | None:
        return await self._send(alert_payload(card), key=key)

    async def send_update(
        self, update: StoryUpdate, key: str = "", uncertain: bool = False
    ) -> str | None:
        reply = update.reply_to if update.reply_to and update.reply_to.isdigit() else None
        return await self._send(update_payload(update), reply, key=key)

    async def send_digest(self, digest: Digest) -> str | None:
        return await self._send(digest_payload(digest))

    async def send_report(self, report: RaceReport) -> str | None:
        payload = report_discord_payload(report)
        return await self._send(payload, key=report.key, image=_chart_file(report))

    async def notice(self, text: str) -> None:
        await self._send({"content": "⚠️ " + discord_text(text, 1900)})

    async def check(self) -> list[str]:
        """Problems a user must fix, in plain words (for ``racewatch doctor``)."""
        try:
            channel = await self._channel()
            assert self._client is not None
            fetched = await _translate(lambda: self._client.fetch_channel(channel.id))  # type: ignore[union-attr]
        except DeliveryError as exc:
            return [
                str(exc)
                + (
                    " - is the bot invited to the server, and can it see the channel?"
                    if "missing access" in str(exc) or "unknown channel" in str(exc)
                    else ""
                )
            ]
        kind = getattr(fetched, "type", None)
        if kind not in (
            discord.ChannelType.text,
            discord.ChannelType.news,
            discord.ChannelType.public_thread,
        ):
            return [f"channel {self.channel_id} is a {kind} channel; use a text channel"]
        return []

    async def close(self) -> None:
        if self._client is not None:
            await self._client.close()


class DiscordWebhookSender:
    def __init__(self, name: str, url: str | None) -> None:
        self.name = name
        self.url = url
        self.pacer = Pacer(*RATES["discord_webhook"])
        self._session: aiohttp.ClientSession | None = None
        self._webhook: discord.Webhook | None = None

    def _hook(self) -> discord.Webhook:
        if not self.url:
            raise DeliveryError("DISCORD_WEBHOOK_URL is not set", permanent=True)
        if self._webhook is None:
            self._session = aiohttp.ClientSession()
            try:
                self._webhook = discord.Webhook.from_url(self.url, session=self._session)
            except ValueError:
                raise DeliveryError(
                    "DISCORD_WEBHOOK_URL is not a Discord webhook URL", permanent=True
                ) from None
        return self._webhook

    async def _send(
        self, payload: dict[str, Any], key: str = "", image: discord.File | None = None
    ) -> str:
        hook = self._hook()
        kwargs = _kwargs(payload)
        if image is not None:
            kwargs["file"] = image
        await self.pacer.wait()
        # wait=True: Discord answers with the message, so a dropped post is an error, not silence
        message = await _translate(lambda: hook.send(wait=True, username="racewatch", **kwargs))
        return str(message.id)

    async def send(self, card: AlertCard, key: str = "", uncertain: bool = False) -> str | None:
        return await self._send(alert_payload(card), key)

    async def send_update(
        self, update: StoryUpdate, key: str = "", uncertain: bool = False
    ) -> str | None:
        payload = update_payload(update)
        payload.pop("message_reference", None)  # webhooks cannot reply; the update stands alone
        return await self._send(payload)

    async def send_digest(self, digest: Digest) -> str | None:
        return await self._send(digest_payload(digest))

    async def send_report(self, report: RaceReport) -> str | None:
        payload = report_discord_payload(report)
        return await self._send(payload, key=report.key, image=_chart_file(report))

    async def notice(self, text: str) -> None:
        await self._send({"content": "⚠️ " + discord_text(text, 1900)})

    async def check(self) -> list[str]:
        try:
            hook = self._hook()
            await _translate(lambda: hook.fetch())
        except DeliveryError as exc:
            return [str(exc)]
        return []

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
