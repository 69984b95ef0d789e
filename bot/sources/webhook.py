"""Hugging Face webhooks: a new repo from a watched org is alerted within seconds.

The Hub sends the secret verbatim in ``X-Webhook-Secret`` (no HMAC), so it is compared in
constant time. The pushed repo becomes the same item polling would produce (same source,
same id), so push and poll can never alert twice; polling stays on as the safety net.
"""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from aiohttp import web
from pydantic import ValidationError

from bot.items import NewItem
from bot.sources.hub_json import HfModel, HfWebhook
from bot.sources.huggingface import hub_item

log = logging.getLogger(__name__)
MAX_BODY = 256 * 1024

# (namespace, item) -> True when a watched source took it
Deliver = Callable[[str, NewItem], Awaitable[bool]]


def item_from_event(payload: dict[str, Any], endpoint: str, now: datetime) -> NewItem | None:
    """The new model repository in a webhook payload, or ``None`` for any other event. The
    item is built by the same factory as a polled repo's (:func:`huggingface.hub_item`)."""
    hook = HfWebhook.model_validate(payload)
    event, repo = hook.event, hook.repo
    if event is None or event.action != "create" or not (event.scope or "").startswith("repo"):
        return None
    if repo is None or repo.type != "model" or repo.name is None:
        return None
    try:
        model = HfModel.model_validate({"id": repo.name, "tags": repo.tags})
    except ValidationError:
        return None
    return hub_item(model, endpoint, now)


def handler(
    secret: str, endpoint: str, deliver: Deliver, clock: Callable[[], datetime]
) -> Callable[[web.Request], Awaitable[web.Response]]:
    expected = secret.encode()

    async def receive(request: web.Request) -> web.Response:
        given = request.headers.get("X-Webhook-Secret", "").encode()
        if not hmac.compare_digest(given, expected):
            log.warning("Hugging Face webhook with a wrong secret from %s", request.remote)
            return web.json_response({"error": "bad secret"}, status=401)
        if request.content_length is not None and request.content_length > MAX_BODY:
            return web.json_response({"error": "payload too large"}, status=413)
        try:
            payload = json.loads(await request.content.read(MAX_BODY + 1))
        except ValueError:
            return web.json_response({"error": "body is not JSON"}, status=400)
        if not isinstance(payload, dict):
            return web.json_response({"error": "body is not a JSON object"}, status=400)
        item = item_from_event(payload, endpoint, clock())
        if item is None or item.hub is None:
            return web.json_response({"status": "ignored"}, status=202)
        taken = await deliver(item.hub.namespace, item)
        return web.json_response({"status": "accepted" if taken else "not watched"}, status=202)

    return receive
