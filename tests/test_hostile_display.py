"""Hostile text where people read it: Discord markdown, Slack mrkdwn, the terminal."""

from __future__ import annotations

import io
import re
import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console

from bot.alerts.card import AlertCard, Digest, StoryUpdate
from bot.config.loader import load_config
from bot.delivery.console import ConsoleSender
from bot.delivery.render_discord import (
    alert_embed,
    digest_payload,
    markdown_url,
    update_payload,
)
from bot.delivery.render_slack import alert_message, digest_message, update_message
from bot.runtime.app import start_app
from bot.sources.feeds import parse_feed
from tests.conftest import LocalServer, rss
from tests.hostile_corpus import HOSTILE_LINKS, HOSTILE_TEXT, json_feed
from tests.test_hostile_ingest import cli

NOW = datetime(2026, 11, 28, 12, tzinfo=UTC)
HIDDEN_LINK = "https://news.example/a)[Official statement](https://evil.example/phish"
_MD_LINK = re.compile(r"\[(?:[^\]\\]|\\.)*\]\(<?([^)>]*)>?\)")


def card(title: str = "A title", url: str | None = HIDDEN_LINK, **extra: Any) -> AlertCard:
    fields: dict[str, Any] = {
        "story_id": 1,
        "item_id": 7,
        "title": title,
        "url": url,
        "summary": "A summary",
        "country": "CN",
        "flag": "🇨🇳",
        "org": "Qwen",
        "kind": "model_release",
        "facts": (("Organisation", "Qwen"),),
        "source": "feed",
        "published_at": NOW,
        **extra,
    }
    return AlertCard(**fields)


def test_a_url_cannot_hide_a_second_link_in_discord_markdown() -> None:
    cards = tuple(card(f"Story {i}", link) for i, link in enumerate([HIDDEN_LINK, *HOSTILE_LINKS]))
    description = digest_payload(Digest("roll-up", cards, NOW))["embeds"][0]["description"]
    embed = alert_embed(card(links=(("Post", HIDDEN_LINK), ("Paper", HIDDEN_LINK))))
    links_field = next(f["value"] for f in embed["fields"] if f["name"] == "Links")
    update = StoryUpdate(1, "t", None, (("wire", "Also", HIDDEN_LINK),))
    expected = [u for c in cards if (u := markdown_url(c.url))]
    assert _MD_LINK.findall(description) == expected  # one link per card, the card's own
    for text in (description, links_field, update_payload(update)["content"]):
        targets = _MD_LINK.findall(text)
        assert targets and targets[0].startswith("https://news.example/a%29%5B"), text
        assert not any(t.startswith("https://evil.example") for t in targets), text


def test_slack_text_from_feeds_formats_nothing() -> None:
    hostile = "*bold* _italic_ ~strike~ `code`\n> quote <!channel> <https://evil.example|x>"
    message = alert_message(card(title=hostile, summary=hostile, also_reported=(hostile,)))
    texts = [message["text"]]
    for block in message["blocks"]:
        if block["type"] == "section" and "text" in block:
            texts.append(block["text"]["text"])
        for element in block.get("elements", []):
            if element.get("type") == "mrkdwn":
                texts.append(element["text"])
    digest = digest_message(Digest("r", (card(title=hostile),), NOW))
    texts += [b["text"]["text"] for b in digest["blocks"] if b["type"] == "section"]
    update = StoryUpdate(1, "t", None, ((hostile, hostile, "https://e.example/"),))
    texts.append(update_message(update)["text"])
    for text in texts:
        assert "<!channel>" not in text and "<https://evil" not in text
        ours = re.sub(r"<!date\^[^>]*>", "", text)  # racewatch's own date token
        for match in re.finditer(r"[*_~`]", ours):
            assert ours[match.start() - 1] == "\u200b", (text, match.start())
        assert not re.search(r"^>", text, re.MULTILINE)


def test_invisible_and_bidi_characters_never_reach_a_title() -> None:
    items = [
        {"id": str(i), "title": f"Title {t}", "url": "https://e.example/"}
        for i, t in enumerate(HOSTILE_TEXT)
    ]
    parsed = parse_feed(json_feed(items), None, "https://f.example/", NOW)
    for item in parsed.items:
        assert not re.search(
            r"[\x00-\x1f\x7f-\x9f\u200b\u202a-\u202e\u2066-\u2069\ufeff\u00ad\u3164]", item.title
        ), item.title


def test_the_console_destination_prints_no_escape_sequence() -> None:
    out = io.StringIO()
    console = Console(file=out, width=120, color_system=None, force_terminal=False)
    sender = ConsoleSender("console", console)
    import asyncio

    async def send_all() -> None:
        for text in HOSTILE_TEXT:
            hostile = card(title=text, summary=text, source=text, url="https://e.example/" + text)
            await sender.send(hostile)
            await sender.send_update(StoryUpdate(1, text, None, ((text, text, None),)))
            await sender.send_digest(Digest(text, (hostile,), NOW))
            await sender.notice(text)

    asyncio.run(send_all())
    printed = out.getvalue()
    assert "[bold red]markup[/]" in printed  # shown as text, not applied
    for bad in ("\x1b", "\x07", "\x9b", "\x00", "\u202e"):
        assert bad not in printed, repr(bad)


async def test_why_and_sources_show_stored_hostile_text_as_plain_text(
    server: LocalServer, tmp_path: Path, write_config: Callable[[dict[str, Any]], Path]
) -> None:
    """Rows stored before ingest cleaned text (or by anything else) are shown safely too."""
    server.set(
        "/feed.xml", rss([{"title": "Plain title", "guid": "g", "link": "https://e.example/"}])
    )
    path = write_config({"sources": [{"name": "f", "url": server.url("/feed.xml")}]})
    app = await start_app(load_config(path, env={}))
    try:
        await app.poll_once(force=True)
    finally:
        await app.close()
    hostile = " ".join(HOSTILE_TEXT)
    database = load_config(path, env={}).database_url.removeprefix("sqlite:///")
    with sqlite3.connect(database) as conn:
        conn.execute("UPDATE items SET title = ?", (hostile,))
        conn.execute("UPDATE sources SET last_error = ?", ("redirect to [/] " + hostile,))
        [(item_id,)] = conn.execute("SELECT id FROM items").fetchall()
    for args in (["why", str(item_id)], ["sources"]):
        out = cli(path, tmp_path, *args)
        for bad in ("\x1b", "\x07", "\x9b", "\u202e"):
            assert bad not in out, (args, repr(bad))
        assert "[/]" in out  # shown, not read as markup
