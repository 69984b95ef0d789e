"""AlertCard -> Slack Block Kit plus a plain-text fallback, always within Slack's limits."""

from __future__ import annotations

import json
import re
from typing import Any

from bot.alerts.card import AlertCard, Digest, StoryUpdate
from bot.delivery.safe import safe_url, slack_plain, slack_text

HEADER, SECTION, FIELD, FIELDS, CONTEXT, BLOCKS, FALLBACK = 150, 3000, 2000, 10, 10, 50, 3000
# Slack rejects messages whose blocks add up to more than about 13 k characters
# (msg_blocks_too_long), so an alert keeps well inside that, whatever the feed sent.
SUMMARY_SHOWN, FACT_SHOWN, BLOCKS_BUDGET = 1500, 400, 11000


# Slack's mrkdwn has no escape character: a zero-width space before each markup character
# keeps feed text such as *bold* or `code` (or a leading > quote) from formatting anything.
_MARKUP = re.compile(r"([*_~`])|^(>)", re.MULTILINE)


def _mrkdwn(text: str, limit: int) -> str:
    """Feed text for a mrkdwn field: markdown neutralised, then escaped and cut."""
    return slack_text(_MARKUP.sub(lambda m: "\u200b" + m.group(0), text), limit)


def _link(url: str | None, text: str) -> str:
    safe = safe_url(url)
    return f"<{safe}|{_mrkdwn(text, 200)}>" if safe else _mrkdwn(text, 200)


def user_groups(mentions: tuple[str, ...]) -> str:
    """Only the user groups (``subteam:S0123``) a rule names; never @channel or @here."""
    ids = [m.split(":", 1)[-1] for m in mentions if m.split(":", 1)[-1][:1] in ("S",)]
    return " ".join(f"<!subteam^{i}>" for i in ids if i.isalnum())


def alert_blocks(card: AlertCard) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = []
    ping = user_groups(card.mentions)
    if ping:
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": ping}})
    blocks.append(
        {
            "type": "header",
            "text": {
                "type": "plain_text",
                "emoji": True,
                "text": slack_plain(f"{card.flag} {card.title}", HEADER),
            },
        }
    )
    if card.summary:
        blocks.append(
            {
                "type": "section",
                "text": {"type": "mrkdwn", "text": _mrkdwn(card.summary, SECTION)},
            }
        )
    fields = [
        {"type": "mrkdwn", "text": f"*{_mrkdwn(name, 50)}*\n{_mrkdwn(value, FACT_SHOWN)}"}
        for name, value in card.facts[:FIELDS]
    ]
    if fields:
        blocks.append({"type": "section", "fields": fields})
    context = [
        f"{_mrkdwn(card.source, 80)} · <!date^{int(card.published_at.timestamp())}"
        f"^{{date_short_pretty}} {{time}}|{card.published_at:%Y-%m-%d %H:%M} UTC>"
    ]
    if card.rule:
        context.append(f"rule {_mrkdwn(card.rule, 80)}")
    if card.also_reported:
        context.append("also reported by " + _mrkdwn(", ".join(card.also_reported), 300))
    blocks.append(
        {"type": "context", "elements": [{"type": "mrkdwn", "text": t} for t in context][:CONTEXT]}
    )
    buttons: list[dict[str, Any]] = []
    url = safe_url(card.url)
    if url:
        buttons.append(
            {
                "type": "button",
                "text": {"type": "plain_text", "text": "Open"},
                "url": url,
                "action_id": "racewatch_open",
            }
        )
    for label, raw in card.links[1:3]:
        if safe_url(raw):
            buttons.append(
                {
                    "type": "button",
                    "text": {"type": "plain_text", "text": slack_plain(label, 30)},
                    "url": safe_url(raw),
                    "action_id": f"racewatch_link_{len(buttons)}",
                }
            )
    buttons.append(
        {
            "type": "button",
            "text": {"type": "plain_text", "text": "Why?"},
            "action_id": "racewatch_why",
            "value": str(card.item_id),
        }
    )
    blocks.append({"type": "actions", "elements": buttons})
    while len(json.dumps(blocks, ensure_ascii=False)) > BLOCKS_BUDGET and len(blocks) > 2:
        blocks.pop(-3 if len(blocks) > 3 else -2)  # drop detail before the header and buttons
    return blocks[:BLOCKS]


def fallback_text(card: AlertCard) -> str:
    org = f" — {card.org}" if card.org else ""
    return _mrkdwn(f"{card.flag} {card.title}{org} ({card.kind.replace('_', ' ')})", FALLBACK)


def alert_message(card: AlertCard) -> dict[str, Any]:
    return {
        "text": fallback_text(card),
        "blocks": alert_blocks(card),
        "unfurl_links": False,
        "unfurl_media": False,
        "link_names": False,
    }


def update_message(update: StoryUpdate) -> dict[str, Any]:
    lines = [_mrkdwn(update.text, 300)]
    lines += [f"• {_mrkdwn(s, 60)}: {_link(u, t)}" for s, t, u in update.coverage[:5]]
    message: dict[str, Any] = {
        "text": "\n".join(lines)[:SECTION],
        "unfurl_links": False,
        "link_names": False,
    }
    if update.reply_to:
        message["thread_ts"] = update.reply_to
    return message


DIGEST_LINES, DIGEST_CHARS = BLOCKS - 2, BLOCKS_BUDGET - 1000


def digest_messages(digest: Digest) -> list[dict[str, Any]]:
    """Every alert of the digest, one section each, in as many messages as Slack's block
    limits need (never an "... and N more" that nobody can open)."""
    sections = [
        {
            "type": "section",
            "text": {"type": "mrkdwn", "text": f"{card.flag} {_link(card.url, card.title)}"},
        }
        for card in digest.cards
    ]
    parts: list[list[dict[str, Any]]] = [[]]
    size = 0
    for section in sections:
        length = len(json.dumps(section, ensure_ascii=False))
        if parts[-1] and (len(parts[-1]) >= DIGEST_LINES or size + length > DIGEST_CHARS):
            parts.append([])
            size = 0
        parts[-1].append(section)
        size += length
    messages = []
    for index, part in enumerate(parts):
        title = digest.title + (f" ({index + 1}/{len(parts)})" if len(parts) > 1 else "")
        header = {
            "type": "header",
            "text": {"type": "plain_text", "emoji": True, "text": slack_plain(title, HEADER)},
        }
        messages.append(
            {
                "text": _mrkdwn(title, FALLBACK),
                "blocks": [header, *part],
                "unfurl_links": False,
                "link_names": False,
            }
        )
    return messages


def digest_message(digest: Digest) -> dict[str, Any]:
    """The first message of :func:`digest_messages`."""
    return digest_messages(digest)[0]
