"""The fast parse path (lxml) gives exactly the items feedparser gives, or steps aside."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.errors import FetchError
from bot.sources import fastfeed
from bot.sources.feeds import MAX_ENTRIES, ParsedFeed, _feedparser_feed, parse_feed
from tests import feed_shapes
from tests.hostile_corpus import hostile_bodies

FETCHED = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
URL = "https://feeds.example/section/feed.xml"


def outcome(parse: object, body: bytes, content_type: str | None) -> ParsedFeed | str:
    try:
        result = parse(body, content_type, URL, FETCHED)  # type: ignore[operator]
    except FetchError as exc:
        return f"FetchError: {exc}"
    assert isinstance(result, ParsedFeed)
    return result


def assert_same_reading(body: bytes, content_type: str | None) -> None:
    fast, slow = (
        outcome(parse_feed, body, content_type),
        outcome(_feedparser_feed, body, content_type),
    )
    if isinstance(fast, ParsedFeed) and isinstance(slow, ParsedFeed):
        assert fast.title == slow.title
        assert fast.warning == slow.warning
        for mine, theirs in zip(fast.items, slow.items, strict=True):
            assert mine == theirs
    assert fast == slow


@pytest.mark.parametrize("name", sorted(feed_shapes.corpus()))
def test_realistic_feeds_take_the_fast_path_and_read_as_feedparser_reads_them(name: str) -> None:
    body, content_type = feed_shapes.corpus()[name]
    assert fastfeed.read(body, content_type, MAX_ENTRIES) is not None
    assert_same_reading(body, content_type)


@pytest.mark.parametrize("name", sorted(feed_shapes.unusual()))
def test_unusual_feeds_are_left_to_feedparser(name: str) -> None:
    body, content_type = feed_shapes.unusual()[name]
    assert fastfeed.read(body, content_type, MAX_ENTRIES) is None
    assert_same_reading(body, content_type)


HOSTILE = {  # JSON Feeds have a reader of their own; the author ReDoS takes feedparser 4 s
    k: v for k, v in hostile_bodies().items() if k != "author-redos" and b"jsonfeed" not in v[0]
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_bodies_read_the_same_on_both_paths(name: str) -> None:
    body, headers = HOSTILE[name]
    assert_same_reading(body, headers.get("Content-Type"))


def test_a_feed_over_the_entry_limit_says_so_on_the_fast_path_too() -> None:
    body = feed_shapes.rss(
        "".join(f"<item><title>t{i}</title><guid>{i}</guid></item>" for i in range(MAX_ENTRIES + 7))
    )
    fast = parse_feed(body, None, URL, FETCHED)
    assert fast.warning is not None and "7 dropped" in fast.warning
    assert fast == _feedparser_feed(body, None, URL, FETCHED)
