"""Fetching is safe: caps, timeouts, redirects, hostile bodies and private addresses."""

from __future__ import annotations

import asyncio
import gzip
import zlib
from datetime import UTC, datetime

import pytest
from aiohttp import web

from bot.errors import FetchError
from bot.sources.feeds import parse_feed
from bot.sources.http import HttpClient, HttpLimits, parse_retry_after
from bot.sources.netguard import is_public
from bot.sources.parsepool import ParserPool
from tests.conftest import LocalServer, rss

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


async def fetch(url: str, limits: HttpLimits | None = None, trusted: bool = True) -> bytes:
    client = HttpClient(limits or HttpLimits(connect_timeout=2, read_timeout=1))
    try:
        return (await client.get(url, trusted=trusted)).body
    finally:
        await client.close()


async def test_gzip_bomb_stops_at_the_cap(server: LocalServer) -> None:
    bomb = gzip.compress(b"\0" * (64 * 1024 * 1024))
    server.set("/bomb", bomb, headers={"Content-Encoding": "gzip"})
    with pytest.raises(FetchError, match="larger than the 1 MiB cap"):
        await fetch(server.url("/bomb"), HttpLimits(max_body=1024 * 1024))


async def test_deflate_and_gzip_bodies_are_decoded(server: LocalServer) -> None:
    server.set("/g", gzip.compress(b"hello gzip"), headers={"Content-Encoding": "gzip"})
    server.set("/d", zlib.compress(b"hello deflate"), headers={"Content-Encoding": "deflate"})
    assert await fetch(server.url("/g")) == b"hello gzip"
    assert await fetch(server.url("/d")) == b"hello deflate"


async def test_a_huge_plain_body_is_refused(server: LocalServer) -> None:
    server.set("/big", b"x" * (3 * 1024 * 1024))
    with pytest.raises(FetchError, match="cap"):
        await fetch(server.url("/big"), HttpLimits(max_body=1024 * 1024))


async def test_a_server_that_never_answers_times_out(server: LocalServer) -> None:
    released = asyncio.Event()

    async def hang(request: web.Request) -> web.StreamResponse:
        await asyncio.wait_for(released.wait(), 10)
        return web.Response()

    server.set("/hang", handler=hang)
    with pytest.raises(FetchError, match="stopped answering|no complete answer"):
        await fetch(server.url("/hang"), HttpLimits(connect_timeout=1, read_timeout=0.5))
    released.set()


async def test_endless_redirects_are_cut_off(server: LocalServer) -> None:
    async def loop(request: web.Request) -> web.StreamResponse:
        raise web.HTTPFound("/loop")

    server.set("/loop", handler=loop)
    with pytest.raises(FetchError, match="more than 3 redirects"):
        await fetch(server.url("/loop"), HttpLimits(max_redirects=3))


async def test_429_carries_retry_after(server: LocalServer) -> None:
    server.set("/slow", "", status=429, headers={"Retry-After": "120"})
    with pytest.raises(FetchError) as info:
        await fetch(server.url("/slow"))
    assert info.value.retry_after == 120 and not info.value.permanent


async def test_user_added_sources_cannot_reach_loopback(server: LocalServer) -> None:
    server.set("/feed", rss([]))
    with pytest.raises(FetchError, match="non-public address"):
        await fetch(server.url("/feed"), trusted=False)
    assert server.requests == []


async def test_names_that_resolve_to_private_addresses_are_refused_before_connecting() -> None:
    """DNS rebinding: the check runs on the resolved address the connection would use."""
    client = HttpClient(HttpLimits(connect_timeout=1, read_timeout=1))
    resolver = client._guarded.connector._resolver  # type: ignore[union-attr]

    async def fake_resolve(
        host: str, port: int = 0, family: object = None
    ) -> list[dict[str, object]]:
        return [
            {
                "hostname": host,
                "host": "10.0.0.7",
                "port": port,
                "family": 2,
                "proto": 0,
                "flags": 0,
            }
        ]

    resolver._inner.resolve = fake_resolve
    try:
        with pytest.raises(FetchError, match="resolves to non-public address 10.0.0.7"):
            await client.get("http://feeds.example.test/rss", trusted=False)
        with pytest.raises(FetchError, match="non-public"):
            await client.get("http://169.254.169.254/latest/meta-data/", trusted=False)
        with pytest.raises(FetchError, match="only http and https"):
            await client.get("file:///etc/passwd", trusted=False)
    finally:
        await client.close()


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.1.2.3",
        "192.168.0.1",
        "172.16.5.4",
        "169.254.169.254",
        "100.64.0.1",
        "0.0.0.0",
        "224.0.0.1",
        "::1",
        "fe80::1",
        "::ffff:127.0.0.1",
        "::ffff:10.0.0.1",
        "64:ff9b::a9fe:a9fe",
        "fc00::1",
    ],
)
def test_non_public_addresses_are_refused(address: str) -> None:
    assert not is_public(address)


@pytest.mark.parametrize("address", ["93.184.215.14", "2606:4700:4700::1111", "8.8.8.8"])
def test_public_addresses_are_allowed(address: str) -> None:
    assert is_public(address)


def test_retry_after_accepts_seconds_and_http_dates() -> None:
    assert parse_retry_after("30") == 30
    assert parse_retry_after("Wed, 25 Nov 2026 12:01:00 GMT", now=NOW.timestamp()) == 60
    assert parse_retry_after("soon") is None


def test_hostile_fields_are_cleaned_and_capped() -> None:
    body = rss(
        [
            {
                "title": "A" * 100_000,
                "guid": "1",
                "summary": "<script>alert(1)</script>ok\x00\x07 text",
            },
            {"title": "no link, no date, no id", "summary": "x"},
        ]
    ).encode()
    parsed = parse_feed(body, "application/rss+xml", "http://example.org/feed", NOW)
    first, second = parsed.items
    assert len(first.title) <= 300 and first.title.endswith("…")
    assert first.summary == "ok text"
    assert second.guid.startswith("sha256:") and second.url is None


def test_entries_with_the_same_id_are_one_item() -> None:
    body = rss([{"title": "one", "guid": "same"}, {"title": "two", "guid": "same"}]).encode()
    assert len(parse_feed(body, None, "http://e.org/f", NOW).items) == 1


def test_dates_in_the_future_are_clamped_to_fetch_time() -> None:
    body = (
        b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title><item><title>x</title>'
        b"<guid>g</guid><pubDate>Fri, 01 Jan 2100 00:00:00 GMT</pubDate></item></channel></rss>"
    )
    [item] = parse_feed(body, None, "http://e.org/f", NOW).items
    assert item.published_at == NOW


def test_boilerplate_is_removed() -> None:
    body = rss(
        [
            {
                "title": "t",
                "guid": "g",
                "summary": "<p>Real news here.</p><p>The post Real news appeared first on Some Blog.</p>",
            }
        ]
    ).encode()
    [item] = parse_feed(body, None, "http://e.org/f", NOW).items
    assert item.summary == "Real news here."


@pytest.mark.parametrize(
    "body",
    [
        b"<rss><channel><title>cut",
        b"\xff\xfe\x00garbage",
        b"",
        b"<?xml version='1.0'?><!DOCTYPE lolz [<!ENTITY lol 'lol'>"
        b"<!ENTITY lol2 '&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;'>"
        b"<!ENTITY lol3 '&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;'>]>"
        b"<rss><channel><title>&lol3;</title></channel></rss>",
    ],
)
async def test_malformed_feeds_give_an_error_or_items_never_a_crash(body: bytes) -> None:
    pool = ParserPool(workers=1, timeout=20)
    try:
        try:
            parsed = await pool.parse(body, "application/xml", "http://e.org/f", NOW)
        except FetchError as exc:
            assert str(exc)
        else:
            assert isinstance(parsed.items, list)
    finally:
        pool.close()


@pytest.mark.slow
async def test_a_parse_that_overruns_its_time_limit_is_stopped() -> None:
    pool = ParserPool(workers=1, timeout=2)  # a loaded machine still parses 'fine' in time
    slow = rss(
        [{"title": f"entry {i}", "guid": str(i), "summary": "<p>x</p>" * 2000} for i in range(400)]
    )
    try:
        with pytest.raises(FetchError, match="longer than"):
            await pool.parse(slow.encode() * 3, None, "http://e.org/f", NOW)
        ok = await pool.parse(
            rss([{"title": "fine", "guid": "1"}]).encode(), None, "http://e.org/f", NOW
        )
        assert [i.title for i in ok.items] == ["fine"]  # a fresh worker took over
    finally:
        pool.close()


@pytest.mark.slow
async def test_a_32kb_author_field_is_parsed_or_stopped_never_hangs() -> None:
    author = "a" * 32_000 + "@"  # the shape of feedparser's author-email ReDoS (issue #562)
    body = (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>t</title><item><title>x</title>'
        f"<guid>g</guid><author>{author}</author></item></channel></rss>"
    ).encode()
    pool = ParserPool(workers=1, timeout=10)
    try:
        try:
            parsed = await pool.parse(body, None, "http://e.org/f", NOW)
        except FetchError as exc:
            assert "longer than" in str(exc)
        else:
            [item] = parsed.items
            assert all(len(a) <= 120 for a in item.authors)
    finally:
        pool.close()


def test_a_wrong_declared_charset_still_gives_readable_items() -> None:
    body = (
        '<?xml version="1.0" encoding="iso-8859-1"?><rss version="2.0"><channel><title>t</title>'
        "<item><title>阿里发布Qwen3</title><guid>g</guid></item></channel></rss>"
    ).encode()
    parsed = parse_feed(body, "application/rss+xml; charset=iso-8859-1", "http://e.org/f", NOW)
    assert len(parsed.items) == 1 and parsed.items[0].title


def test_nul_and_control_bytes_are_removed() -> None:
    body = rss([{"title": "Qwen\x00 3\x07 released", "guid": "1"}]).encode().replace(b"&#0;", b"")
    try:
        parsed = parse_feed(body, None, "http://e.org/f", NOW)
    except FetchError as exc:
        assert "not a readable feed" in str(exc)
    else:
        assert all("\x00" not in i.title and "\x07" not in i.title for i in parsed.items)


@pytest.mark.parametrize(
    "tail",
    [
        "<p>The post Qwen3 is out appeared first on Some Blog.</p>",
        " Continue reading …",
        " READ MORE »",
        " Read the full story",
        " […]",
        " Comments: https://news.ycombinator.com/item?id=1",
        " 原文链接：https://example.cn/a",
    ],
)
def test_feed_boilerplate_is_cut_from_summaries(tail: str) -> None:
    from bot.sources.clean import clean_text

    assert clean_text(f"<p>Alibaba released Qwen3 today.</p>{tail}", 500) == (
        "Alibaba released Qwen3 today."
    )


RELATIVE_FEEDS = {
    "rss_plain": b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title><item><title>A</title><guid>f0-1</guid><link>/posts/a</link></item><item><title>B</title><guid isPermaLink="false">urn:uuid:123</guid><link>https://x.example/b</link></item><item><title>C</title><link>c.html</link></item><item><title>D</title><guid>https://abs.example/d</guid></item><item><title>E</title><guid>/rel/e</guid></item><item><title>F</title><guid>tag:site.com,2025:1</guid><link>//cdn.example/f</link></item></channel></rss>',
    "atom_base": b'<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom" xml:base="https://base.example/blog/"><title>t</title><entry><id>post-1</id><title>A</title><link href="a.html"/></entry><entry><id>urn:x:2</id><title>B</title><link rel="alternate" href="/b"/></entry></feed>',
    "atom_nobase": b'<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>t</title><entry><id>post-1</id><title>A</title><link href="a.html"/></entry><entry><title>B</title><link href="https://q.example/b"/></entry></feed>',
    "atom_relbase": b'<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom" xml:base="/sub/"><title>t</title><entry><id>post-1</id><title>A</title><link href="a.html"/></entry></feed>',
}
# what feedparser made of these when given the feed's address (racewatch up to 2026-11-25):
# item ids are racewatch's memory of what it has seen, so they must never change
RESOLVED = {
    "rss_plain": [
        ("https://site.example/f0-1", "https://site.example/posts/a"),
        ("urn:uuid:123", "https://x.example/b"),
        ("https://site.example/c.html", "https://site.example/c.html"),
        ("https://abs.example/d", "https://abs.example/d"),
        ("https://site.example/rel/e", "https://site.example/rel/e"),
        ("tag:site.com,2025:1", "https://cdn.example/f"),
    ],
    "atom_base": [
        ("https://base.example/blog/post-1", "https://base.example/blog/a.html"),
        ("urn:x:2", "https://base.example/b"),
    ],
    "atom_nobase": [
        ("https://site.example/post-1", "https://site.example/a.html"),
        ("https://q.example/b", "https://q.example/b"),
    ],
    "atom_relbase": [("https://site.example/sub/post-1", "https://site.example/sub/a.html")],
}


@pytest.mark.parametrize("name", sorted(RELATIVE_FEEDS))
def test_relative_ids_and_links_resolve_against_the_feed_address(name: str) -> None:
    from bot.sources.feeds import parse_feed

    items = parse_feed(
        RELATIVE_FEEDS[name], "application/xml", "https://site.example/feed.xml", datetime.now(UTC)
    ).items
    assert [(i.guid, i.url) for i in items] == RESOLVED[name]


@pytest.mark.slow
def test_parser_workers_classify_only_items_the_feed_did_not_have_last_time() -> None:
    from bot.attribution.registry import load_registry
    from bot.runtime import prepare

    body = rss(
        [
            {"title": "DeepSeek open-sources DeepSeek-V3.2", "guid": "https://d.example/1"},
            {"title": "OpenAI releases GPT-5", "guid": "https://o.example/2"},
        ]
    ).encode()
    source = prepare.SourceFacts("https://news.example/feed.xml", "feed")
    prepare.start_worker(load_registry())
    try:
        every = prepare.prepare_feed(body, None, source.url, datetime.now(UTC), source)
        fresh = prepare.prepare_feed(
            body, None, source.url, datetime.now(UTC), source, frozenset({"https://d.example/1"})
        )
    finally:
        prepare._classifier = None
    assert every.classified["https://d.example/1"].primary_country == "CN"
    assert every.classified["https://o.example/2"].primary_country == "US"
    assert set(fresh.classified) == {"https://o.example/2"}
    assert len(fresh.feed.items) == 2  # parsed all the same: the store decides what is new
