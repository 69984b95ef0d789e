"""RSS, Atom and JSON Feed bytes into :class:`NewItem` values. The only module using feedparser.

feedparser gets bytes, never a URL (it would fetch without limits or read a local file).
"""

from __future__ import annotations

import calendar
import hashlib
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urljoin

import feedparser

from bot.errors import FetchError
from bot.items import NewItem, storable_item
from bot.sources import fastfeed
from bot.sources.clean import clean_line, clean_text, guess_language
from bot.text import normalise_url

TITLE_LIMIT = 300
SUMMARY_LIMIT = 2000
AUTHOR_LIMIT = 120
MAX_ENTRIES = 500
# Warnings feedparser raises on feeds that are still perfectly usable.
_SURVIVABLE = ("CharacterEncodingOverride", "NonXMLContentType", "CharacterEncodingUnknown")


@dataclass(frozen=True)
class ParsedFeed:
    title: str
    items: list[NewItem]
    warning: str | None = None


def _when(entry: Any, key: str) -> datetime | None:
    value = entry.get(key)
    if not value:
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(value), UTC)
    except (OverflowError, ValueError, TypeError, OSError):
        return None


_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")


def _absolute(base: str | None, value: str) -> str:
    """``value`` resolved against the feed's address, as feedparser resolves ids and links
    when given the address (it does so for every URI in the feed, which costs more than
    the rest of parsing; racewatch needs two of them)."""
    if not base or _SCHEME.match(value):
        return value
    try:
        return urljoin(base, value)
    except ValueError:
        return value


def _guid(entry: Any, link: str | None, title: str, summary: str, base: str | None) -> str:
    raw = entry.get("id") or entry.get("guid")
    if raw:
        return _absolute(base, str(raw))[:500]
    if link:
        return link[:500]
    digest = hashlib.sha256(f"{title}\n{summary[:500]}".encode()).hexdigest()[:32]
    return f"sha256:{digest}"


def _link(entry: Any, base: str | None) -> tuple[str | None, str | None]:
    """The entry's first usable link as written (its id when it has no other) and as an
    RFC 3986 URI (what is stored and shown)."""
    candidates = [entry.get("link")] + [
        c.get("href") if isinstance(c, dict) else None for c in entry.get("links") or []
    ]
    for raw in candidates:
        if isinstance(raw, str) and raw:
            absolute = _absolute(base, raw)
            link = normalise_url(absolute)
            if link is not None:
                return absolute[:2000], link
    return None, None


def _entry_to_item(
    entry: Any, language: str | None, fetched_at: datetime, base: str | None = None
) -> NewItem | None:
    title = clean_line(entry.get("title"), TITLE_LIMIT)
    content = entry.get("content") or []
    raw_summary = entry.get("summary") or (content[0].get("value") if content else "") or ""
    summary = clean_text(raw_summary, SUMMARY_LIMIT)
    if not title:
        title = clean_line(summary, 120)
    if not title:
        return None
    raw_link, link = _link(entry, base)
    published = _when(entry, "published_parsed") or _when(entry, "updated_parsed") or fetched_at
    if published > fetched_at + timedelta(minutes=5):
        published = fetched_at  # a date in the future is a feed bug; don't let it sort first
    authors = tuple(
        a
        for a in (
            clean_line(x.get("name") if isinstance(x, dict) else str(x), AUTHOR_LIMIT)
            for x in (entry.get("authors") or [])[:10]
        )
        if a
    )
    tags = tuple(
        t
        for t in (
            clean_line(x.get("term"), 60)
            for x in (entry.get("tags") or [])[:20]
            if isinstance(x, dict)
        )
        if t
    )
    return storable_item(
        NewItem(
            guid=_guid(entry, raw_link, title, summary, base),
            title=title,
            url=link,
            summary=summary,
            published_at=published,
            authors=authors,
            language=guess_language(f"{title} {summary}", language),
            tags=tags,
        )
    )


def _looks_like_json_feed(body: bytes) -> bool:
    head = body[:200].lstrip()
    return head.startswith(b"{") and b"jsonfeed.org" in body[:2000]


def _json_feed(body: bytes, fetched_at: datetime) -> ParsedFeed:
    try:
        doc = json.loads(body)
    except (ValueError, RecursionError) as exc:
        raise FetchError(f"not a valid JSON Feed: {exc}", permanent=True) from None
    if not isinstance(doc, dict) or not isinstance(doc.get("items"), list):
        raise FetchError("JSON Feed has no 'items' list", permanent=True)
    entries = []
    for raw in doc["items"][:MAX_ENTRIES]:
        if not isinstance(raw, dict):
            continue
        authors = _as_list(raw.get("authors")) or (
            [raw["author"]] if isinstance(raw.get("author"), dict) else []
        )
        entries.append(
            {
                "id": str(raw.get("id") or "") or None,
                "title": str(raw.get("title") or ""),
                "link": raw.get("url") or raw.get("external_url"),
                "summary": str(
                    raw.get("summary") or raw.get("content_html") or raw.get("content_text") or ""
                ),
                "published_parsed": _iso_struct(
                    raw.get("date_published") or raw.get("date_modified")
                ),
                "authors": [a for a in authors if isinstance(a, dict)],
                "tags": [{"term": str(t)} for t in _as_list(raw.get("tags")) if isinstance(t, str)],
            }
        )
    language = doc.get("language") if isinstance(doc.get("language"), str) else None
    items = [i for i in (_entry_to_item(e, language, fetched_at) for e in entries) if i]
    title = clean_line(str(doc.get("title") or ""), 200)
    return ParsedFeed(title, _dedupe(items), _dropped(len(doc["items"])))


def _dropped(entries: int) -> str | None:
    if entries <= MAX_ENTRIES:
        return None
    return (
        f"the feed has {entries} entries; only the first {MAX_ENTRIES} were read "
        f"({entries - MAX_ENTRIES} dropped)"
    )


def _join(first: str | None, second: str | None) -> str | None:
    return "; ".join(w for w in (first, second) if w) or None


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _iso_struct(value: Any) -> Any:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)
        return parsed.astimezone(UTC).timetuple()
    except (ValueError, OverflowError):  # a bad date costs the date, not the item or feed
        return None


def _dedupe(items: list[NewItem]) -> list[NewItem]:
    seen: set[str] = set()
    out = []
    for item in items:
        if item.guid not in seen:
            seen.add(item.guid)
            out.append(item)
    return out


def parse_feed(body: bytes, content_type: str | None, url: str, fetched_at: datetime) -> ParsedFeed:
    """Parse one feed document. Raises :class:`FetchError` when it is not a usable feed."""
    if _looks_like_json_feed(body):
        return _json_feed(body, fetched_at)
    fast = fastfeed.read(body, content_type, MAX_ENTRIES)
    if fast is not None:
        return _items(fast.title, fast.language, fast.entries, fast.total, None, url, fetched_at)
    return _feedparser_feed(body, content_type, url, fetched_at)


def _feedparser_feed(
    body: bytes, content_type: str | None, url: str, fetched_at: datetime
) -> ParsedFeed:
    """What feedparser reads of a document the fast path left to it."""
    # The feed's address is not given to feedparser (it would resolve every URI against it);
    # the id and link racewatch keeps are resolved in _entry_to_item, with the same result.
    headers = {"content-type": content_type} if content_type else {}
    parsed = feedparser.parse(
        body, response_headers=headers, sanitize_html=False, resolve_relative_uris=False
    )
    warning = None
    head = body[:1000].lower()
    if not parsed.get("version") and (b"<html" in head or b"<!doctype html" in head):
        raise FetchError(
            "got an HTML page, not a feed (is the URL the feed's address?)", permanent=True
        )
    if parsed.get("bozo"):
        exc = parsed.get("bozo_exception")
        name = type(exc).__name__
        if name not in _SURVIVABLE:
            if not parsed.entries:
                raise FetchError(f"not a readable feed ({name}: {str(exc)[:200]})", permanent=True)
            warning = f"feed is not well-formed ({name}); read what could be read"
    if not parsed.entries and not parsed.get("version"):
        raise FetchError("not a feed: no RSS, Atom or JSON Feed found", permanent=True)
    entries = parsed.entries
    return _items(
        parsed.feed.get("title"),
        parsed.feed.get("language"),
        entries[:MAX_ENTRIES],
        len(entries),
        warning,
        url,
        fetched_at,
    )


def _items(
    title: str | None,
    language: str | None,
    entries: list[Any],
    total: int,
    warning: str | None,
    url: str,
    fetched_at: datetime,
) -> ParsedFeed:
    items = [i for i in (_entry_to_item(e, language, fetched_at, url) for e in entries) if i]
    warning = _join(warning, _dropped(total))
    return ParsedFeed(clean_line(title, 200), _dedupe(items), warning)
