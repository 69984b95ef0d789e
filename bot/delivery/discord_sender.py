"""Discord delivery through discord.py: a bot posting to a channel (the channel webhook
sender is in ``discord_webhook``).

REST only: sending needs no gateway connection, so any racewatch process can send (the
gateway, for slash commands, is held by one process). discord.py waits out 429s itself,
honouring ``retry_after``; what it gives up on comes back here as a retry or a permanent
error. Every call is cut at ``SEND_TIMEOUT`` (discord.py has no timeout of its own), well
inside the outbox lease, and a cut call is *uncertain*: the next attempt reads the channel's
recent messages for the one it may have posted before it posts (Discord's nonce dedupe
covers only a few minutes, and discord.py's own retries of a 5xx).
"""

from __future__ import annotations

import asyncio
import io
import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import aiohttp
import discord

from bot.alerts.card import AlertCard, Digest, StoryUpdate
from bot.alerts.report import RaceReport
from bot.delivery.base import DeliveryError
from bot.delivery.keys import content_key, notice_key, part_key
from bot.delivery.pacing import RATES, Pacer
from bot.delivery.render_discord import alert_payload, digest_payloads, update_payload
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
SEND_TIMEOUT = 15.0  # any one platform call; the outbox lease (45 s by default) covers two
LOOKBACK = 100  # recent messages read to find one an uncertain attempt may have posted


def fingerprint(content: str | None, embeds: list[dict[str, Any]]) -> str:
    """What a posted message shows, as a key: the same for the payload racewatch sent and
    for the message Discord gives back when the channel is read."""
    parts = [(content or "").strip()]
    for embed in embeds:
        footer = embed.get("footer") or {}
        parts += [
            str(embed.get("title") or "").strip(),
            str(embed.get("description") or "").strip(),
            str(footer.get("text") or "").strip(),
        ]
    return content_key("f", *parts)


def payload_fingerprint(payload: dict[str, Any]) -> str:
    return fingerprint(payload.get("content"), list(payload.get("embeds") or []))


def use_api(base: str) -> None:
    """Point discord.py at ``base`` (the real API unless a proxy or test server is set)."""
    discord.http.Route.BASE = base.rstrip("/")


def api_base() -> str:
    return str(discord.http.Route.BASE)


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
        async with asyncio.timeout(SEND_TIMEOUT):
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
        # a 5xx may come after Discord stored the message
        raise DeliveryError(
            f"Discord error {exc.status}: {exc.text[:200]}", uncertain=exc.status >= 500
        ) from None
    except aiohttp.ClientConnectorError as exc:  # never connected: nothing was sent
        raise DeliveryError(f"cannot reach Discord: {exc}") from None
    except TimeoutError:
        raise DeliveryError(
            f"Discord did not answer in {SEND_TIMEOUT:.0f} s", uncertain=True
        ) from None
    except (aiohttp.ClientError, OSError) as exc:  # a reset after the request went out
        raise DeliveryError(f"Discord connection lost: {exc}", uncertain=True) from None


async def checked(look: Callable[[], Awaitable[T]]) -> T:
    """A look for an earlier post; failing to look is never a reason to post anyway."""
    try:
        return await _translate(look)
    except DeliveryError as exc:
        raise DeliveryError(
            f"could not check the channel for an earlier post ({exc}); "
            "checking again later (the bot needs Read Message History)",
            uncertain=True,
            retry_after=exc.retry_after,
        ) from None


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
        self.pace_channel = f"discord:{channel_id}"
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

    async def _earlier(self, channel: discord.PartialMessageable, wanted: str) -> str | None:
        """The message an earlier attempt posted with this content, among the channel's
        recent messages from this bot."""
        me = self._client.user.id if self._client and self._client.user else None

        async def look() -> str | None:
            async for message in channel.history(limit=LOOKBACK):
                if me is not None and message.author.id != me:
                    continue
                embeds = [e.to_dict() for e in message.embeds]
                if fingerprint(message.content, embeds) == wanted:  # type: ignore[arg-type]
                    return str(message.id)
            return None

        return await checked(look)

    async def _send(
        self,
        payload: dict[str, Any],
        reply_to: str | None = None,
        key: str = "",
        image: discord.File | None = None,
        uncertain: bool = False,
    ) -> str:
        channel = await self._channel()
        if key and uncertain:
            earlier = await self._earlier(channel, payload_fingerprint(payload))
            if earlier is not None:
                log.info("%s: delivery %s was already posted (%s)", self.name, key, earlier)
                return earlier
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
        return await self._send(alert_payload(card), key=key, uncertain=uncertain)

    async def send_update(
        self, update: StoryUpdate, key: str = "", uncertain: bool = False
    ) -> str | None:
        reply = update.reply_to if update.reply_to and update.reply_to.isdigit() else None
        return await self._send(update_payload(update), reply, key=key, uncertain=uncertain)

    async def send_digest(
        self, digest: Digest, key: str = "", uncertain: bool = False
    ) -> str | None:
        ids = [
            await self._send(payload, key=part_key(key, i) if key else "", uncertain=uncertain)
            for i, payload in enumerate(digest_payloads(digest))
        ]
        return ids[0]

    async def send_report(self, report: RaceReport) -> str | None:
        payload = report_discord_payload(report)
        # a resend comes a week's job later, long past the nonce window: always look first
        return await self._send(payload, key=report.key, image=_chart_file(report), uncertain=True)

    async def notice(self, text: str) -> None:
        await self._send({"content": "⚠️ " + discord_text(text, 1900)}, key=notice_key(text))

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
        try:
            await checked(lambda: anext(aiter(channel.history(limit=1)), None))
        except DeliveryError:
            return [
                f"the bot cannot read channel {self.channel_id}'s messages: give it Read "
                "Message History there, or a send cut short cannot be checked before it "
                "is sent again"
            ]
        return []

    async def close(self) -> None:
        if self._client is not None:
            await self._client.close()
