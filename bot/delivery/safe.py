"""Untrusted text made safe for chat: no mentions, no broken layout, only http(s) links."""

from __future__ import annotations

import re
from urllib.parse import quote, urlsplit

from bot.sources.clean import shorten

_ZWSP = "\u200b"
_DISCORD_MENTION = re.compile(r"@(everyone|here)|<(@[!&]?|#)(\d+)>|<@&?(\d+)>", re.IGNORECASE)
# inline markup anywhere; headings, lists and quotes only at the start of a line
_DISCORD_MARKDOWN = re.compile(r"([\\*_~`|\[\]])|^([#>-])", re.MULTILINE)


def safe_url(url: str | None) -> str | None:
    """The URL if it is http(s) and well-formed, with characters that break chat markup
    percent-encoded; ``None`` otherwise (javascript:, data:, file:, junk)."""
    if not url:
        return None
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    cleaned = url.strip()
    for ch in ("|", "<", ">", " ", '"', "`"):
        cleaned = cleaned.replace(ch, quote(ch))
    return cleaned if len(cleaned) <= 2000 else None


def discord_text(text: str, limit: int) -> str:
    """Plain text for an embed or message: mentions defused, markdown escaped, cut cleanly."""
    defused = _DISCORD_MENTION.sub(
        lambda m: m.group(0).replace("@", "@" + _ZWSP).replace("<", "<" + _ZWSP), text
    )
    escaped = _DISCORD_MARKDOWN.sub(lambda m: "\\" + (m.group(1) or m.group(2)), defused)
    return shorten(escaped, limit) if len(escaped) > limit else escaped


def slack_text(text: str, limit: int) -> str:
    """mrkdwn-safe text: ``&``, ``<`` and ``>`` escaped (so ``<!channel>`` is just text), cut
    cleanly without leaving half an escape."""
    cut = shorten(text, limit - 20) if len(text) > limit - 20 else text
    escaped = cut.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    while len(escaped) > limit:  # escapes can grow the text; cut again at a word boundary
        cut = shorten(cut, max(10, len(cut) - (len(escaped) - limit) - 10))
        escaped = cut.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return escaped


def slack_plain(text: str, limit: int) -> str:
    """plain_text fields (headers, buttons) are never parsed for mentions; only cut them."""
    return shorten(text, limit) if len(text) > limit else text
