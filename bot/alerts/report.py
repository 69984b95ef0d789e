"""The weekly state-of-the-race post: a neutral message with sections and one chart, which
each sender renders natively (an embed with an attached image on Discord, Block Kit and an
uploaded image on Slack)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class ReportLine:
    text: str
    url: str | None = None


@dataclass(frozen=True)
class RaceReport:
    key: str  # stable for the week: a resend after a crash posts nothing twice
    title: str
    sections: tuple[tuple[str, tuple[ReportLine, ...]], ...]
    created_at: datetime
    image: bytes | None = None
    image_name: str = "state-of-the-race.png"

    def plain_lines(self) -> list[str]:
        """Every line as text (the console, JSON Lines and webhook receivers)."""
        out = []
        for heading, lines in self.sections:
            out.append(heading)
            out += [f"  {line.text}" + (f" <{line.url}>" if line.url else "") for line in lines]
        return out
