"""Slack delivery through slack_sdk's async Web API client (the same client Bolt uses).

Every post carries its delivery key in message metadata. An attempt whose outcome is unknown
(a timeout, a reset after the request went out, a 5xx) is *uncertain*: the next attempt reads
the channel's recent history (a thread's replies for a follow-up) for that key before it
posts, and when that read fails it waits and reads again, never posts blind. slack_sdk's
connection-error retry handler is left out for the same reason: it re-posts blindly.
"""

from __future__ import annotations

import asyncio
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
from bot.delivery.keys import notice_key, part_key
from bot.delivery.pacing import RATES, Pacer
from bot.delivery.preflight import SLACK_DELIVERY_SCOPES, slack_scope_problems
from bot.delivery.render_report import report_slack_message
from bot.delivery.render_slack import alert_message, digest_messages, update_message
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
SEND_TIMEOUT = 15.0  # any one call, 429 waits included; well inside the outbox lease
UNKNOWN_OUTCOME = {"internal_error", "fatal_error", "service_unavailable"}


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
    """A client that retries 429s only: the default connection-error handler would re-post
    a message whose first request may have arrived."""
    return AsyncWebClient(
        token=token,
        base_url=base_url,
        timeout=int(SEND_TIMEOUT),
        retry_handlers=[AsyncRateLimitErrorRetryHandler(max_retry_count=2)],
    )


class SlackSender:
    def __init__(self, name: str, channel: str, token: str | None, base_url: str) -> None:
        self.name = name
        self.channel = channel
        self.token = token
        self.client = web_client(token, base_url)
        self.pacer = Pacer(*RATES["slack"])
        self.pace_channel = f"slack:{channel}"

    async def _post(self, message: dict[str, Any]) -> str | None:
        if not self.token:
            raise DeliveryError(
                "SLACK_BOT_TOKEN is not set; put the bot token in the environment", permanent=True
            )
        await self.pacer.wait()
        try:
            async with asyncio.timeout(SEND_TIMEOUT * 2):  # a 429 wait plus the post
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
                f"Slack error: {error}",
                retry_after=float(retry) if retry else None,
                uncertain=error in UNKNOWN_OUTCOME or error.startswith("HTTP 5"),
            ) from None
        except aiohttp.ClientConnectorError as exc:  # never connected: nothing was sent
            raise DeliveryError(f"cannot reach Slack: {exc}") from None
        except TimeoutError:
            raise DeliveryError("Slack did not answer in time", uncertain=True) from None
        except (aiohttp.ClientError, OSError) as exc:  # a reset after the request went out
            raise DeliveryError(f"Slack connection lost: {exc}", uncertain=True) from None
        ts = response.get("ts")
        return str(ts) if ts else None

    async def _read(self, thread_ts: str | None, cursor: str | None) -> Any:
        """One page of the channel's recent history, or of a thread's replies."""
        common: dict[str, Any] = {
            "channel": self.channel,
            "limit": 200,
            "include_all_metadata": True,
            "cursor": cursor,
            "oldest": str(time.time() - EARLIER_WINDOW),
        }
        try:
            async with asyncio.timeout(SEND_TIMEOUT * 2):
                if thread_ts:
                    return await self.client.conversations_replies(ts=thread_ts, **common)
                return await self.client.conversations_history(**common)
        except SlackApiError as exc:
            error = slack_error(exc)
            hint = f": {PERMANENT[error]}" if error in PERMANENT else ""
            retry = exc.response.headers.get("Retry-After") if error == "ratelimited" else None
            raise DeliveryError(
                f"could not check Slack for an earlier post ({error}{hint}); checking again later",
                uncertain=True,
                retry_after=float(retry) if retry else None,
            ) from None
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            raise DeliveryError(
                f"could not check Slack for an earlier post ({exc}); checking again later",
                uncertain=True,
            ) from None

    async def _earlier(self, key: str, thread_ts: str | None = None) -> str | None:
        """The message an interrupted attempt already posted for ``key``, if any: the channel's
        recent history (a thread's replies for a follow-up) is read, a few pages at most, for
        racewatch's delivery metadata. A read that fails raises an uncertain error."""
        cursor = None
        for _page in range(5):
            history = await self._read(thread_ts, cursor)
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
            earlier = await self._earlier(key, message.get("thread_ts"))
            if earlier:
                log.info("%s: delivery %s was already posted (%s)", self.name, key, earlier)
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

    async def send_digest(
        self, digest: Digest, key: str = "", uncertain: bool = False
    ) -> str | None:
        ids = [
            await self._keyed(message, part_key(key, i) if key else "", uncertain)
            for i, message in enumerate(digest_messages(digest))
        ]
        return ids[0]

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
        message = {"text": ":warning: " + slack_text(text, 2900), "link_names": False}
        await self._keyed(message, notice_key(text), uncertain=False)

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
