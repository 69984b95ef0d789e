"""Neutral replies rendered for each platform, paged within its limits."""

from __future__ import annotations

from typing import Any

from bot.commands.paging import Paged
from bot.commands.reply import Line, Reply
from bot.delivery.render_discord import alert_payload
from bot.delivery.render_slack import alert_blocks
from bot.delivery.safe import discord_text, safe_url, slack_plain, slack_text

SLACK_SECTION, SLACK_BLOCKS = 2900, 45
SLACK_MESSAGE_BLOCKS = 50  # Slack's limit per message
DISCORD_DESCRIPTION, DISCORD_EMBEDS, DISCORD_TOTAL = 3900, 10, 5800


def slack_line(line: Line) -> str:
    url = safe_url(line.url)
    text = slack_text(line.text, 600)
    return f"<{url}|{text}>" if url else text


def slack_reply(reply: Reply) -> dict[str, Any]:
    blocks: list[dict[str, Any]] = [
        {
            "type": "header",
            "text": {"type": "plain_text", "emoji": True, "text": slack_plain(reply.title, 150)},
        }
    ]
    chunk: list[str] = []
    size = 0
    shown = 0
    for line in reply.lines:
        rendered = slack_line(line)
        if chunk and size + len(rendered) + 1 > SLACK_SECTION:
            blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": "\n".join(chunk)}})
            chunk, size = [], 0
            if len(blocks) >= SLACK_BLOCKS:
                break
        chunk.append(rendered)
        size += len(rendered) + 1
        shown += 1
    if chunk and len(blocks) < SLACK_BLOCKS:
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": "\n".join(chunk)}})
    if shown < len(reply.lines):
        blocks.append(
            {
                "type": "context",
                "elements": [
                    {"type": "mrkdwn", "text": f"… and {len(reply.lines) - shown} more lines"}
                ],
            }
        )
    fallback = slack_text(
        reply.title + ": " + " / ".join(line.text for line in reply.lines[:3]), 2900
    )
    return {"text": fallback, "blocks": blocks}


def discord_line(line: Line) -> str:
    url = safe_url(line.url)
    text = discord_text(line.text, 500)
    return f"[{text}](<{url}>)" if url else text


def discord_embeds(reply: Reply) -> list[dict[str, Any]]:
    """One embed per page, at most 10 and 6,000 characters in all."""
    embeds: list[dict[str, Any]] = []
    total = 0
    page: list[str] = []
    for line in [*reply.lines, Line("")]:
        rendered = discord_line(line) if line.text else ""
        if page and (
            not line.text or sum(len(p) + 1 for p in page) + len(rendered) > DISCORD_DESCRIPTION
        ):
            description = "\n".join(page)
            if total + len(description) > DISCORD_TOTAL or len(embeds) >= DISCORD_EMBEDS:
                break
            embeds.append({"description": description})
            total += len(description)
            page = []
        if rendered:
            page.append(rendered)
    if not embeds:
        embeds.append({"description": "—"})
    embeds[0]["title"] = discord_text(reply.title, 256)
    return embeds


def discord_preview(reply: Reply) -> tuple[str | None, list[dict[str, Any]]]:
    """The content and embeds of a ``watch preview`` answer: the reply's own embed, then
    the alert exactly as the destination posts it (its role mentions shown, not pinged)."""
    embeds = discord_embeds(reply)
    if reply.preview is None:
        return None, embeds
    payload = alert_payload(reply.preview.card)
    return payload.get("content"), (embeds + payload["embeds"])[:DISCORD_EMBEDS]


def with_slack_preview(body: dict[str, Any], reply: Reply) -> dict[str, Any]:
    """A Slack answer with the alert's own blocks after a divider, as the channel shows it."""
    if reply.preview is None:
        return body
    blocks = [*body["blocks"], {"type": "divider"}, *alert_blocks(reply.preview.card)]
    if len(blocks) <= SLACK_MESSAGE_BLOCKS:
        body["blocks"] = blocks
    return body


PAGE_ACTION = "racewatch_page"


def slack_paged(paged: Paged) -> dict[str, Any]:
    """A page of a reply, with Previous / Next buttons when there is more than one."""
    body = slack_reply(paged.reply)
    buttons = []
    for label, index in (("◀ Previous", paged.index - 1), ("Next ▶", paged.index + 1)):
        value = paged.button(index)
        if value is not None:
            buttons.append(
                {
                    "type": "button",
                    "action_id": f"{PAGE_ACTION}_{'next' if index > paged.index else 'prev'}",
                    "text": {"type": "plain_text", "text": label},
                    "value": value,
                }
            )
    if buttons:
        body["blocks"].append({"type": "actions", "elements": buttons})
    return body
