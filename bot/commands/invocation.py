"""What a user asked, platform-neutral, and the Slack-style text parser with its usage."""

from __future__ import annotations

import shlex
from dataclasses import dataclass, field

from bot.commands.reply import UserError

SUBCOMMANDS = ("latest", "search", "gap", "org", "why", "watch", "sources", "digest", "help")
USAGE = {
    "latest": "latest [COUNTRY] [ORG] [KIND] [N]   e.g. latest CN model_release 5",
    "search": "search WORDS   e.g. search qwen3 coder",
    "gap": "gap [7d|30d|90d|365d]",
    "org": "org NAME   e.g. org moonshot",
    "why": "why ITEM   (an item id or its link)",
    "watch": "watch list | add NAME FIELD=VALUE... | remove NAME | test FIELD=VALUE...",
    "sources": "sources list | add NAME URL | remove NAME | status NAME | resume NAME",
    "digest": "digest [now]",
    "help": "help",
}


@dataclass(frozen=True)
class Invocation:
    sub: str
    args: list[str] = field(default_factory=list)
    user: str = ""
    is_admin: bool = False


def usage(command: str, sub: str | None = None) -> str:
    if sub in USAGE:
        return f"Usage: /{command} {USAGE[sub]}"
    return "Usage:\n" + "\n".join(f"  /{command} {text}" for text in USAGE.values())


def parse_text(text: str, command: str = "race") -> tuple[str, list[str]]:
    """``latest CN 5`` -> ("latest", ["CN", "5"]); quotes group words; unknown -> UserError."""
    try:
        words = shlex.split(text.strip())
    except ValueError:
        raise UserError(f"Unbalanced quotes in '{text[:80]}'.\n{usage(command)}") from None
    if not words:
        return "help", []
    sub = words[0].lower()
    if sub not in SUBCOMMANDS:
        raise UserError(f"Unknown command '{words[0][:40]}'.\n{usage(command)}")
    return sub, words[1:]
