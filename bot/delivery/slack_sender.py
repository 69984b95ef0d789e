"""Slack delivery through slack_sdk's async Web API client (the same client Bolt uses)."""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.web.async_client import AsyncWebClient

from bot.alerts.card import AlertCard, Digest, StoryUpdate
from bot.alerts.report import RaceReport
from bot.delivery.base import DeliveryError
from bot.delivery.pacing import RATES, Pacer
from bot.delivery.preflight import SLACK_DELIVERY_SCOPES, slack_scope_problems
from bot.delivery.render_report import report_slack_message
from bot.delivery.render_slack import alert_message, digest_message, update_message
from bot.delivery.safe import slack_text

log = logging.getLogger(__name__)
PERMANENT = {
    "channel_not_found": "the channel does not exist or the app cannot see it",
    "not_in_channel": "the app is not in the channel: /invite @racewatch there",
    "is_archived": "the channel is archived",
    "invalid_auth": "SLACK_BOT_TOKEN is invalid",
    "not_authed": "SLACK_BOT_TOKEN is missing",
    "account_inactive": "the Slack app was uninstalled or deactivated",
    "token_revoked": "SLACK_BOT_TOKEN was revoked",
    "missing_scope": "the app lacks a scope: reinstall it from the manifest (slack/manifest.yaml)",
    "restricted_action": "the workspace does not allow the app to post there",
}
# the message itself was refused: that message, never the destination
REJECTED = {
    "invalid_blocks",
    "invalid_blocks_format",
    "msg_too_long",
    "msg_blocks_too_long",
    "invalid_attachments",
    "too_many_attachments",
    "invalid_metadata_format",
    "no_text",
}
EARLIER_WINDOW = 3600.0  # how far back a resend looks for the message an earlier attempt posted


def slack_error(exc: SlackApiError) -> str:
    """Slack's error code, or the HTTP status when the answer was not Slack's JSON."""
    data = exc.response.data
    if isinstance(data, dict):
        return str(data.get("error", "unknown"))
    return f"HTTP {exc.response.status_code}"


def granted_scopes(headers: Mapping[str, Any]) -> set[str]:
    """The scopes Slack reports on every answer (``x-oauth-scopes``); empty when absent."""
    return {s.strip() for s in str(headers.get("x-oauth-scopes", "")).split(",") if s.strip()}


def web_client(token: str | None, base_url: str) -> AsyncWebClient:
    client = AsyncWebClient(token=token, base_url=base_url, timeout=20)
    client.retry_handlers.append(AsyncRateLimitErrorRetryHandler(max_retry_count=2))
    return client


class SlackSender:
    def __init__(self, name: str, channel: str, token: str | None, base_url: str) -> None:
        self.name = name
        self.channel = channel
        self.token = token
        self.client = web_client(token, base_url)
        self.pacer = Pacer(*RATES["slack"])

    async def _post(self, message: dict[str, Any]) -> str | None:
        if not self.token:
            raise DeliveryError(
                "SLACK_BOT_TOKEN is not set; put the bot token in the environment", permanent=True
            )
        await self.pacer.wait()
        try:
            response = await self.client.chat_postMessage(channel=self.channel, **message)
        except SlackApiError as exc:
            error = slack_error(exc)
            if error in REJECTED:
                raise DeliveryError(
                    f"Slack refused this message ({error})", rejected=True
                ) from None
            if error in PERMANENT:
                raise DeliveryError(
                    f"Slack refused: {PERMANENT[error]} ({error})", permanent=True
                ) from None
            retry = exc.response.headers.get("Retry-After") if error == "ratelimited" else None
            raise DeliveryError(
                f"Slack error: {error}", retry_after=float(retry) if retry else None
            ) from None
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            raise DeliveryError(f"cannot reach Slack: {exc}") from None
        ts = response.get("ts")
        return str(ts) if ts else None

    async def _earlier(self, key: str) -> str | None:
        """The message an interrupted attempt already posted for ``key``, if any: the channel's
        recent history is read (a few pages at most) for racewatch's delivery metadata."""
        cursor = None
        for _page in range(5):
            try:
                history = await self.client.conversations_history(
                    channel=self.channel,
                    limit=200,
                    include_all_metadata=True,
                    cursor=cursor,
                    oldest=str(time.time() - EARLIER_WINDOW),
                )
            except SlackApiError:
                return None
            for message in history.get("messages") or []:
                payload = (message.get("metadata") or {}).get("event_payload") or {}
                if payload.get("delivery") == key:
                    return str(message.get("ts"))
            cursor = (history.get("response_metadata") or {}).get("next_cursor")
            if not history.get("has_more") or not cursor:
                return None
        return None

    async def _keyed(self, message: dict[str, Any], key: str, uncertain: bool) -> str | None:
        if key and uncertain and self.token:
            earlier = await self._earlier(key)
            if earlier:
                return earlier
        if key:
            message["metadata"] = {
                "event_type": "racewatch_delivery",
                "event_payload": {"delivery": key},
            }
        return await self._post(message)

    async def send(self, card: AlertCard, key: str = "", uncertain: bool = False) -> str | None:
        return await self._keyed(alert_message(card), key, uncertain)

    async def send_update(
        self, update: StoryUpdate, key: str = "", uncertain: bool = False
    ) -> str | None:
        return await self._keyed(update_message(update), key, uncertain)

    async def send_digest(self, digest: Digest) -> str | None:
        return await self._post(digest_message(digest))

    async def send_report(self, report: RaceReport) -> str | None:
        """The post (keyed: a resend after a crash finds it), then its chart as a file in
        the same channel (needs the files:write scope)."""
        ts = await self._keyed(report_slack_message(report), report.key, uncertain=True)
        if report.image is not None:
            try:
                await self.client.files_upload_v2(
                    channel=self.channel,
                    content=report.image,
                    filename=report.image_name,
                    title=report.title,
                    thread_ts=ts,
                )
            except (SlackApiError, aiohttp.ClientError, TimeoutError, OSError) as exc:
                log.warning("%s: the chart of the weekly post was not uploaded: %s", self.name, exc)
        return ts

    async def notice(self, text: str) -> None:
        await self._post({"text": ":warning: " + slack_text(text, 2900), "link_names": False})

    async def check(self) -> list[str]:
        if not self.token:
            return ["SLACK_BOT_TOKEN is not set"]
        problems = []
        try:
            auth = await self.client.auth_test()
            scopes = granted_scopes(auth.headers)
            if scopes:
                problems += slack_scope_problems(scopes, SLACK_DELIVERY_SCOPES)
            info = await self.client.conversations_info(channel=self.channel)
            channel = info.get("channel") or {}
            if not channel.get("is_member") and "chat:write.public" not in scopes:
                problems.append(
                    f"the app is not in #{channel.get('name', self.channel)}: "
                    "type /invite @racewatch in that channel"
                )
        except SlackApiError as exc:
            error = slack_error(exc)
            problems.append(PERMANENT.get(error, f"Slack answered {error}"))
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            problems.append(f"cannot reach Slack: {exc}")
        return problems

    async def close(self) -> None:
        session = getattr(self.client, "session", None)
        if session is not None and not session.closed:
            await session.close()
