"""The weekly state-of-the-race post, rendered natively: one Discord embed with the chart
attached, or one Slack Block Kit message (the chart is uploaded beside it). Every line
from feeds is made safe exactly as alerts are; both stay inside the platforms' limits."""

from __future__ import annotations

from typing import Any

from bot.alerts.report import RaceReport, ReportLine
from bot.delivery.safe import discord_text, safe_url, slack_plain, slack_text

DISCORD_TITLE, DISCORD_FIELD_NAME, DISCORD_FIELD, DISCORD_TOTAL = 256, 256, 1024, 5800
SLACK_HEADER, SLACK_SECTION = 150, 3000
COLOUR = 0x6B7280


def _discord_url(url: str | None) -> str | None:
    safe = safe_url(url)  # and nothing that could close the link's parenthesis
    return safe.replace("(", "%28").replace(")", "%29") if safe else None


def _discord_line(line: ReportLine) -> str:
    text = discord_text(line.text, 300)
    url = _discord_url(line.url)
    return f"• [{text}]({url})" if url else f"• {text}"


def _fit(lines: list[str], limit: int) -> str:
    """Lines joined within ``limit`` characters; what does not fit is counted, not hidden."""
    out: list[str] = []
    used = 0
    for index, line in enumerate(lines):
        rest = len(lines) - index
        if used + len(line) + 1 > limit - 24:
            out.append(f"… and {rest} more")
            break
        out.append(line)
        used += len(line) + 1
    return "\n".join(out)


def report_discord_payload(report: RaceReport) -> dict[str, Any]:
    """An embed: one field per section, the chart as its image (``attachment://``)."""
    fields = []
    budget = DISCORD_TOTAL - len(report.title)
    for heading, lines in report.sections:
        name = discord_text(heading, DISCORD_FIELD_NAME)
        value = _fit([_discord_line(line) for line in lines], min(DISCORD_FIELD, budget))
        budget -= len(name) + len(value)
        if budget < 0:
            break
        fields.append({"name": name, "value": value or "—", "inline": False})
    embed: dict[str, Any] = {
        "title": discord_text(report.title, DISCORD_TITLE),
        "color": COLOUR,
        "fields": fields,
        "timestamp": report.created_at.isoformat(),
        "footer": {"text": "racewatch · state of the race"},
    }
    if report.image is not None:
        embed["image"] = {"url": f"attachment://{report.image_name}"}
    return {"embeds": [embed], "allowed_mentions": {"parse": []}}


def _slack_line(line: ReportLine) -> str:
    url = safe_url(line.url)
    text = slack_text(line.text, 300)
    return f"• <{url}|{text}>" if url else f"• {text}"


def report_slack_message(report: RaceReport) -> dict[str, Any]:
    """A header, then a section per part of the post (each within 3,000 characters)."""
    blocks: list[dict[str, Any]] = [
        {
            "type": "header",
            "text": {
                "type": "plain_text",
                "emoji": True,
                "text": slack_plain(report.title, SLACK_HEADER),
            },
        }
    ]
    for heading, lines in report.sections:
        body = _fit([_slack_line(line) for line in lines], SLACK_SECTION - 80)
        blocks.append(
            {
                "type": "section",
                "text": {"type": "mrkdwn", "text": f"*{slack_text(heading, 70)}*\n{body}"},
            }
        )
    return {
        "text": slack_text(report.title, 3000),
        "blocks": blocks,
        "unfurl_links": False,
        "link_names": False,
    }
