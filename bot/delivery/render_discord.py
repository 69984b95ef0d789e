"""AlertCard -> a Discord message payload (embed), always within Discord's limits."""

from __future__ import annotations

from typing import Any

from bot.alerts.card import AlertCard, Digest, StoryUpdate
from bot.delivery.safe import discord_text, safe_url

COLOURS = {"CN": 0xDE2910, "US": 0x3C3B6E}
OTHER_COLOUR = 0x6B7280
# Discord's documented limits
TITLE, DESCRIPTION, FIELDS, FIELD_NAME, FIELD_VALUE, FOOTER, TOTAL, CONTENT = (
    256,
    4096,
    25,
    256,
    1024,
    2048,
    6000,
    2000,
)


_MARKDOWN_URL = str.maketrans({"(": "%28", ")": "%29", "[": "%5B", "]": "%5D"})


def markdown_url(url: str | None) -> str | None:
    """:func:`safe_url` for a URL placed inside markdown link syntax: brackets and
    parentheses percent-encoded, so a URL such as ``https://a/)[text](https://b`` cannot
    close the link and open a second, hidden one."""
    safe = safe_url(url)
    return safe.translate(_MARKDOWN_URL) if safe else None


def _embed_size(embed: dict[str, Any]) -> int:
    size = len(embed.get("title", "")) + len(embed.get("description", ""))
    size += len(embed.get("footer", {}).get("text", ""))
    size += sum(len(f["name"]) + len(f["value"]) for f in embed.get("fields", []))
    return size


def alert_embed(card: AlertCard) -> dict[str, Any]:
    embed: dict[str, Any] = {
        "title": discord_text(f"{card.flag} {card.title}", TITLE),
        "color": COLOURS.get(card.country or "", OTHER_COLOUR),
        "timestamp": card.published_at.isoformat(),
    }
    url = safe_url(card.url)
    if url:
        embed["url"] = url
    if card.summary:
        embed["description"] = discord_text(card.summary, 1000)
    fields = [
        {
            "name": discord_text(name, FIELD_NAME),
            "value": discord_text(value, FIELD_VALUE),
            "inline": name not in ("Organisation", "Also involves"),
        }
        for name, value in card.facts[: FIELDS - 2]
    ]
    links = [
        f"[{discord_text(label, 60)}]({u})"
        for label, raw in card.links[1:]
        if (u := markdown_url(raw))
    ]
    if links:
        fields.append({"name": "Links", "value": " · ".join(links)[:FIELD_VALUE], "inline": False})
    if card.also_reported:
        fields.append(
            {
                "name": "Also reported by",
                "value": discord_text(", ".join(card.also_reported), FIELD_VALUE),
                "inline": False,
            }
        )
    embed["fields"] = fields
    footer = f"{card.source}" + (f" · rule {card.rule}" if card.rule else "") + " · racewatch"
    embed["footer"] = {"text": discord_text(footer, FOOTER)}
    if card.thumbnail and safe_url(card.thumbnail):
        embed["thumbnail"] = {"url": safe_url(card.thumbnail)}
    while _embed_size(embed) > TOTAL and embed["fields"]:
        embed["fields"].pop()
    return embed


def role_mentions(mentions: tuple[str, ...]) -> tuple[str, list[str]]:
    """Content and allowed role ids for the roles a rule names (``role:123`` or ``123``)."""
    ids = [m.split(":", 1)[-1] for m in mentions if m.split(":", 1)[-1].isdigit()]
    return " ".join(f"<@&{i}>" for i in ids), ids


def alert_payload(card: AlertCard) -> dict[str, Any]:
    content, roles = role_mentions(card.mentions)
    payload: dict[str, Any] = {
        "embeds": [alert_embed(card)],
        "allowed_mentions": {"parse": [], "roles": roles},
    }
    if content:
        payload["content"] = content[:CONTENT]
    return payload


def update_payload(update: StoryUpdate) -> dict[str, Any]:
    lines = [f"↳ {discord_text(update.text, 300)}"]
    for source, title, url in update.coverage[:5]:
        link = markdown_url(url)
        text = discord_text(title, 200)
        lines.append(f"• {discord_text(source, 60)}: " + (f"[{text}](<{link}>)" if link else text))
    payload: dict[str, Any] = {
        "content": "\n".join(lines)[:CONTENT],
        "allowed_mentions": {"parse": [], "replied_user": False},
    }
    if update.reply_to:
        payload["message_reference"] = {"message_id": update.reply_to, "fail_if_not_exists": False}
    return payload


LINE = 1000  # one alert's line in a digest; a longer link is left out, the title kept
PART = DESCRIPTION - 96  # room left in each part for Discord's own trimming


def _digest_line(card: AlertCard) -> str:
    url = markdown_url(card.url)
    title = discord_text(card.title, 180)
    line = f"{card.flag} " + (f"[{title}]({url})" if url else title)
    return line if len(line) <= LINE else f"{card.flag} {title}"


def digest_payloads(digest: Digest) -> list[dict[str, Any]]:
    """Every alert of the digest, one line each, in as many messages as the embed
    description limit needs (never an "... and N more" that nobody can open)."""
    parts: list[list[str]] = [[]]
    size = 0
    for line in (_digest_line(card) for card in digest.cards):
        if parts[-1] and size + len(line) + 1 > PART:
            parts.append([])
            size = 0
        parts[-1].append(line)
        size += len(line) + 1
    payloads = []
    for index, lines in enumerate(parts):
        title = digest.title + (f" ({index + 1}/{len(parts)})" if len(parts) > 1 else "")
        embed = {
            "title": discord_text(title, TITLE),
            "description": "\n".join(lines),
            "color": OTHER_COLOUR,
            "timestamp": digest.created_at.isoformat(),
        }
        payloads.append({"embeds": [embed], "allowed_mentions": {"parse": []}})
    return payloads


def digest_payload(digest: Digest) -> dict[str, Any]:
    """The first message of :func:`digest_payloads`."""
    return digest_payloads(digest)[0]
