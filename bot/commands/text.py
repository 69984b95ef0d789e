"""Slack's ``/race`` text -> a typed request, with rules made for chat text (not a shell's).

- Slack escapes ``&``, ``<`` and ``>`` and wraps links as ``<url|label>`` or ``<url>``:
  both are undone first.
- ``key=value`` pairs; a value may be quoted with straight or curly double quotes
  (``phrase="open weights"``, ``digest=“0 9 * * 1-5”``), and so may a free phrase.
- Everything else is a free word, exactly as typed: apostrophes ("OpenAI's") and
  backslashes (``regex=\\d+B``) are kept.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from bot.attribution.vocab import KINDS
from bot.commands.capability import WINDOWS as CAPABILITY_WINDOWS
from bot.commands.countries import country_code
from bot.commands.reply import UserError
from bot.commands.requests import (
    WINDOWS,
    DestinationResume,
    DestinationsList,
    DigestNow,
    DigestShow,
    Gap,
    GapCapability,
    Help,
    Latest,
    OrgInfo,
    Request,
    Search,
    SourceAdd,
    SourceRemove,
    SourceResume,
    SourcesList,
    SourceStatus,
    WatchAdd,
    WatchList,
    WatchPreview,
    WatchRemove,
    WatchTest,
    Why,
)

USAGE = {
    "latest": "latest [COUNTRY] [ORG] [KIND] [N]   e.g. latest CN model_release 5",
    "search": "search WORDS   e.g. search qwen3 coder",
    "gap": "gap [releases] [7d|30d|90d|365d]  |  gap capability [text|vision|image|video|webdev] "
    "[90d|1y|all]",
    "org": "org NAME   e.g. org moonshot",
    "why": "why ITEM   (an item id or its link)",
    "watch": "watch list | preview NAME | add NAME FIELD=VALUE... | remove NAME | "
    "test FIELD=VALUE...   "
    'e.g. watch add cn-video country=CN phrase="text to video"',
    "sources": "sources list | add NAME URL | remove NAME | status NAME | resume NAME",
    "destinations": "destinations [resume NAME]   (admins: which are broken, and why)",
    "digest": "digest [now]",
    "help": "help [COMMAND]",
}
QUOTES = {'"': '"', "“": "”", "„": "“", "”": "”", "«": "»", "「": "」"}
_LINK = re.compile(r"<([^<>|]*)(?:\|([^<>]*))?>")


def usage(command: str, sub: str | None = None) -> str:
    if sub in USAGE:
        return f"Usage: /{command} {USAGE[sub]}"
    return "Usage:\n" + "\n".join(f"  /{command} {text}" for text in USAGE.values())


def unescape(text: str) -> str:
    """Slack's message formatting undone: links to their URL, entities to their characters."""

    def link(match: re.Match[str]) -> str:
        target, label = match.group(1), match.group(2)
        if target.startswith(("http://", "https://", "mailto:")):
            return target
        return label if label is not None else target  # <#C1|general>, <@U1|ana>

    text = _LINK.sub(link, text)
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


@dataclass
class Words:
    """Free words in order, and ``key=value`` fields (values as typed, quotes removed)."""

    free: list[str] = field(default_factory=list)
    fields: dict[str, str] = field(default_factory=dict)
    quoted: set[str] = field(default_factory=set)  # fields whose value was quoted


def _quoted(text: str, at: int) -> tuple[str, int] | None:
    """A quoted string opening at ``at``: (its content, the index after it), else None."""
    close = QUOTES.get(text[at]) if at < len(text) else None
    if close is None:
        return None
    end = text.find(close, at + 1)
    if end < 0 and close != '"':
        end = text.find('"', at + 1)
    if end < 0:
        raise UserError(f"A quote opened at '{text[at : at + 30]}' is never closed.")
    return text[at + 1 : end], end + 1


def split_words(text: str) -> Words:
    """``country=CN phrase="open weights" Moonshot AI`` -> fields and free words."""
    out = Words()
    i, n = 0, len(text)
    while i < n:
        if text[i].isspace():
            i += 1
            continue
        quoted = _quoted(text, i)
        if quoted is not None:
            out.free.append(quoted[0])
            i = quoted[1]
            continue
        end = i
        while end < n and not text[end].isspace() and text[end] != "=":
            end += 1
        key = text[i:end]
        if end < n and text[end] == "=" and key:
            value_at = end + 1
            quoted = _quoted(text, value_at)
            if quoted is not None:
                value, i = quoted
                out.quoted.add(key.lower())
            else:
                stop = value_at
                while stop < n and not text[stop].isspace():
                    stop += 1
                value, i = text[value_at:stop], stop
            out.fields[key.lower()] = value
            continue
        while end < n and not text[end].isspace():
            end += 1
        out.free.append(text[i:end])
        i = end
    return out


def rule_fields(words: Words, where: str) -> dict[str, Any]:
    """Fields as a rule's mapping; an unquoted value with commas is a list."""
    if words.free:
        raise UserError(
            f"'{words.free[0][:60]}' should look like field=value, e.g. country=CN ({where})"
        )
    out: dict[str, Any] = {}
    for key, value in words.fields.items():
        items = [v.strip() for v in value.split(",") if v.strip()]
        out[key] = items if key not in words.quoted and len(items) > 1 else value
    return out


def parse(text: str, command: str = "race") -> Request:
    """The whole ``/race`` text -> a typed request; a ``UserError`` says what is wrong."""
    text = unescape(text).strip()
    head, _, rest = text.partition(" ")
    sub = head.lower()
    if not sub:
        return Help()
    parser = _PARSERS.get(sub)
    if parser is None:
        raise UserError(f"Unknown command '{head[:40]}'.\n{usage(command)}")
    return parser(rest.strip(), command)


def _latest(rest: str, command: str) -> Request:
    words = split_words(rest)
    known = {"country", "org", "kind", "n"}
    for key in words.fields:
        if key not in known:
            raise UserError(f"latest has no '{key}' option.\n{usage(command, 'latest')}")
    country, org, kind = words.fields.get("country"), words.fields.get("org"), None
    n = words.fields.get("n")
    free = list(words.free)
    if free and free[-1].isdigit() and n is None:
        n = free.pop()
    if "kind" in words.fields:
        kind = _kind(words.fields["kind"], command)
    rest_words = []
    for word in free:
        low = word.lower().replace("-", "_")
        if low in KINDS and kind is None:
            kind = low
        elif (code := country_code(word, codes_any_case=len(free) == 1)) and country is None:
            country = code
        else:
            rest_words.append(word)
    if rest_words:
        org = " ".join(rest_words) if org is None else org
    if country is not None:
        code = country_code(country)
        if code is None:
            raise UserError(f"'{country[:40]}' is not a country racewatch knows, e.g. CN or US.")
        country = code
    return Latest(country=country, org=org, kind=kind, n=_count(n))


def _kind(value: str, command: str) -> str:
    low = value.strip().lower().replace("-", "_").replace(" ", "_")
    if low not in KINDS:
        raise UserError(f"'{value[:40]}' is not a kind; use one of: {', '.join(KINDS)}")
    return low


def _count(value: str | None) -> int:
    if value is None:
        return 5
    if not value.isascii() or not value.isdigit():
        raise UserError(f"'{value[:20]}' is not a number from 1 to 20.")
    return max(1, min(20, int(value[:6])))


def _search(rest: str, command: str) -> Request:
    if not rest:
        raise UserError(usage(command, "search"))
    return Search(text=rest[:300])


def _gap(rest: str, command: str) -> Request:
    words = rest.lower().split()
    if words and words[0] == "capability":
        arena = next((w for w in words[1:] if w not in CAPABILITY_WINDOWS), "text")
        window = next((w for w in words[1:] if w in CAPABILITY_WINDOWS), "90d")
        if len(words) > 3:
            raise UserError(usage(command, "gap"))
        return GapCapability(arena=arena, window=window)
    if words and words[0] == "releases":
        rest = " ".join(words[1:])
    window = (rest or "30d").lower().strip()
    if window.isdigit():
        window += "d"
    if window not in WINDOWS:
        raise UserError(f"'{rest[:20]}' is not a window. {usage(command, 'gap')}")
    return Gap(window=window)


def _org(rest: str, command: str) -> Request:
    if not rest:
        raise UserError(usage(command, "org"))
    return OrgInfo(query=rest[:120])


def _why(rest: str, command: str) -> Request:
    if not rest:
        raise UserError(usage(command, "why"))
    return Why(item=rest.split()[0])


def _action(rest: str) -> tuple[str, str]:
    action, _, tail = rest.partition(" ")
    return action.lower(), tail.strip()


def _name_and_rest(tail: str, command: str, sub: str) -> tuple[str, str]:
    name, _, more = tail.partition(" ")
    if not name:
        raise UserError(usage(command, sub))
    return name, more.strip()


def _watch(rest: str, command: str) -> Request:
    action, tail = _action(rest)
    if action in ("", "list"):
        return WatchList()
    if action == "add":
        name, more = _name_and_rest(tail, command, "watch")
        if not more:
            raise UserError(f"Add some conditions. {usage(command, 'watch')}")
        return WatchAdd(rule=name, fields=rule_fields(split_words(more), "watch add"))
    if action == "remove":
        return WatchRemove(rule=_name_and_rest(tail, command, "watch")[0])
    if action == "preview":
        return WatchPreview(rule=_name_and_rest(tail, command, "watch")[0])
    if action == "test":
        if not tail:
            raise UserError(f"Give conditions to test. {usage(command, 'watch')}")
        return WatchTest(fields=rule_fields(split_words(tail), "watch test"))
    raise UserError(usage(command, "watch"))


def _sources(rest: str, command: str) -> Request:
    action, tail = _action(rest)
    if action in ("", "list"):
        return SourcesList()
    name, more = _name_and_rest(tail, command, "sources") if tail else ("", "")
    if not name:
        raise UserError(usage(command, "sources"))
    if action == "add":
        if not more:
            raise UserError(f"Give the feed's address. {usage(command, 'sources')}")
        url, _, options = more.partition(" ")
        words = split_words(options)
        backfill = words.fields.pop("backfill", "0")
        if words.fields or words.free or not backfill.isdigit() or int(backfill) > 50:
            raise UserError(
                f"After the address only backfill=N (0-50) may follow. {usage(command, 'sources')}"
            )
        return SourceAdd(source=name, url=url, backfill=int(backfill))
    kinds: dict[str, type[SourceStatus | SourceRemove | SourceResume]] = {
        "status": SourceStatus,
        "remove": SourceRemove,
        "resume": SourceResume,
    }
    if action in kinds:
        return kinds[action](source=name)
    raise UserError(usage(command, "sources"))


def _destinations(rest: str, command: str) -> Request:
    action, tail = _action(rest)
    if action in ("", "list"):
        return DestinationsList()
    if action == "resume":
        return DestinationResume(destination=_name_and_rest(tail, command, "destinations")[0])
    raise UserError(usage(command, "destinations"))


def _digest(rest: str, command: str) -> Request:
    word = rest.strip().lower()
    if word == "now":
        return DigestNow()
    if word:
        raise UserError(usage(command, "digest"))
    return DigestShow()


def _help(rest: str, command: str) -> Request:
    return Help(topic=rest.strip().lower() or None)


_PARSERS = {
    "latest": _latest,
    "search": _search,
    "gap": _gap,
    "org": _org,
    "why": _why,
    "watch": _watch,
    "sources": _sources,
    "destinations": _destinations,
    "digest": _digest,
    "help": _help,
}
