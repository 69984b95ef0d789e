"""What a destination would post for an alert, without posting it (``watch preview``).

Each payload comes from the same renderer its sender uses, so a preview cannot drift from
the real message. Console destinations print a panel instead (``console.render``).
"""

from __future__ import annotations

from typing import Any

from bot.alerts.card import AlertCard
from bot.delivery.jsonl import card_json
from bot.delivery.render_discord import alert_payload
from bot.delivery.render_slack import alert_message

PREVIEW_KEY = "preview"  # stands in for the delivery key a real alert carries


def alert_body(card: AlertCard, destination_type: str) -> dict[str, Any]:
    """The JSON body a ``destination_type`` destination sends for ``card``: Discord's
    message (bot or webhook), Slack's ``chat.postMessage`` arguments (without the channel),
    or the generic webhook's and the JSON-lines file's record."""
    if destination_type in ("discord", "discord_webhook"):
        return alert_payload(card)
    if destination_type == "slack":
        return alert_message(card)
    if destination_type == "webhook":
        return {"type": "alert", "delivery_key": PREVIEW_KEY, **card_json(card)}
    if destination_type == "jsonl":
        return {"type": "alert", "delivery": PREVIEW_KEY, **card_json(card)}
    raise ValueError(f"no JSON body for a {destination_type} destination")
