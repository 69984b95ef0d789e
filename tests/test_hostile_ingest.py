"""Hostile feeds and servers at ingest: links, NUL on PostgreSQL, write errors, baselines,
tokens, compression, dates and oversized feeds. Every case is in tests/hostile_corpus.py."""

from __future__ import annotations

import json
import logging
import os
import re
import subprocess
import sys
import zlib
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from aiohttp import web
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select, text

from bot.config.loader import Config, load_config
from bot.errors import FetchError
from bot.runtime.app import start_app
from bot.sources.feeds import MAX_ENTRIES, parse_feed
from bot.sources.http import HttpClient, HttpLimits
from bot.sources.netguard import is_public
from bot.store.db import open_store
from bot.store.schema import Delivery, Item, Source
from bot.text import normalise_url
from tests.conftest import LocalServer, fresh_postgres_database, rss
from tests.hostile_corpus import HOSTILE_LINKS, json_feed, many_entries_rss

NOW = datetime(2026, 11, 28, 12, tzinfo=UTC)
# What RFC 3986 allows in a URI, at all: unreserved, reserved and percent escapes.
_URI = re.compile(r"https?://[A-Za-z0-9\-._~!$&'()*+,;=:@/?#\[\]%]+")


def assert_well_formed(url: str) -> None:
    assert _URI.fullmatch(url), url
    parts = urlsplit(url)
    assert parts.hostname and parts.username is None
    assert parts.port is None or 1 <= parts.port <= 65535
    assert re.fullmatch(r"[^%]*(%[0-9A-Fa-f]{2}[^%]*)*", url), url
    assert normalise_url(url) == url  # normalising is idempotent


@pytest.mark.parametrize("link", HOSTILE_LINKS)
def test_every_hostile_link_is_stored_as_a_well_formed_uri_or_not_at_all(link: str) -> None:
    body = json_feed([{"id": "x", "title": "An item", "url": link}])
    [item] = parse_feed(body, "application/feed+json", "https://feed.example/", NOW).items
    if item.url is not None:
        assert_well_formed(item.url)
    assert item.guid == "x" and item.title == "An item"  # a bad link costs the link only


def test_links_keep_their_meaning_when_normalised() -> None:
    assert normalise_url("https://Example.com/a b?q=<1>#x y") == (
        "https://example.com/a%20b?q=%3C1%3E#x%20y"
    )
    assert normalise_url("https://bücher.example/ü") == "https://xn--bcher-kva.example/%C3%BC"
    assert normalise_url("https://example.com/a\nb\tc") == "https://example.com/abc"
    assert normalise_url("https://example.com:8443/x") == "https://example.com:8443/x"
    assert normalise_url("https://example.com/%41%zz") == "https://example.com/%41%25zz"
    for refused in ("https://example.com:65536/", "https://example.com:0/", "ftp://x/"):
        assert normalise_url(refused) is None
    assert normalise_url("http://a.example\\@b.example/") is None  # browsers go to a.example
    assert normalise_url("https://a.example@b.example/") == "https://b.example/"


@given(st.text(max_size=80))
def test_any_text_as_a_link_becomes_a_well_formed_uri_or_nothing(tail: str) -> None:
    for candidate in (tail, "https://example.com/" + tail, "http://" + tail):
        url = normalise_url(candidate)
        if url is not None:
            assert_well_formed(url)


_URL_BITS = st.sampled_from(
    ["http", "https", "HTTP", "://", "/", "//", "?", "#", "%", "%4", "%41", "%zz", ":", ":80",
     ":0", "@", "a", "B", ".", "..", "-", "_", "~", "'", "()", "*+,;=", "!$&", " ", "\\", "[",
     "]", "ü", "\t", "\n", "\u200b", "example.com", "xn--bcher-kva", "[::1]"]
)  # fmt: skip


@given(st.lists(_URL_BITS, max_size=14).map("".join))
def test_a_link_already_in_normal_form_is_kept_as_the_full_normalising_gives_it(
    tail: str,
) -> None:
    from bot.text import _already_normal, _normalise

    for candidate in (tail, "https://example.com" + tail, "http://" + tail):
        if _already_normal(candidate):
            assert _normalise(candidate) == candidate


def test_links_the_shortcut_must_leave_to_the_full_normalising() -> None:
    from bot.text import _already_normal

    for link in ("http://a.example/?", "http://a.example/#", "HTTP://a.example/",
                 "http://A.example/", "http://a.example:80/", "http://u@a.example/",
                 "http://a.example/%zz", "http://a.example/a b", "http://a.example/ü"):  # fmt: skip
        assert not _already_normal(link), link
    assert _already_normal("https://news.example/2026/11/a-b_c?x=1&y=%C3%BC#top")


@pytest.mark.parametrize(
    "address",
    ["192.0.0.8", "192.0.0.170", "fec0::1", "100::1", "2001:db8::1", "3fff::1", "::127.0.0.1",
     "198.18.0.1", "192.88.99.1", "240.0.0.1", "255.255.255.255", "::ffff:10.0.0.1",
     "64:ff9b::a9fe:a9fe", "2002:a9fe:a9fe::1", "2001::1", "fd00::1", "ff02::1", "0.1.2.3"],
)  # fmt: skip
def test_every_non_global_address_counts_as_private(address: str) -> None:
    assert not is_public(address)


def test_global_unicast_addresses_are_public() -> None:
    for address in ("8.8.8.8", "1.1.1.1", "2606:4700:4700::1111", "2001:4860:4860::8888"):
        assert is_public(address)


# --- what the HTTP client decodes and to whom it sends credentials ---


async def fetch(url: str, headers: dict[str, str] | None = None) -> bytes:
    client = HttpClient(HttpLimits(connect_timeout=2, read_timeout=2))
    try:
        return (await client.get(url, headers=headers)).body
    finally:
        await client.close()


async def test_raw_deflate_is_decoded_and_garbage_is_reported_plainly(
    server: LocalServer,
) -> None:
    raw = zlib.compressobj(wbits=-15)
    body = raw.compress(b"raw deflate body") + raw.flush()
    server.set("/raw", body, headers={"Content-Encoding": "deflate"})
    server.set("/junk", b"\x00\x01 not compressed", headers={"Content-Encoding": "gzip"})
    assert await fetch(server.url("/raw")) == b"raw deflate body"
    with pytest.raises(FetchError, match="not valid gzip data"):
        await fetch(server.url("/junk"))


async def test_credentials_never_follow_a_redirect_to_another_host(server: LocalServer) -> None:
    other = server.base.replace("127.0.0.1", "localhost")

    async def away(request: web.Request) -> web.StreamResponse:
        raise web.HTTPFound(other + "/landed")

    async def same(request: web.Request) -> web.StreamResponse:
        raise web.HTTPFound("/kept")

    server.set("/away", handler=away)
    server.set("/same", handler=same)
    server.set("/landed", "ok")
    server.set("/kept", "ok")
    secret = {"Authorization": "Bearer hf_secret"}
    await fetch(server.url("/away"), secret)
    await fetch(server.url("/same"), secret)
    assert server.hits("/away")[0].get("Authorization") == "Bearer hf_secret"
    assert "Authorization" not in server.hits("/landed")[0]
    assert server.hits("/kept")[0].get("Authorization") == "Bearer hf_secret"


# --- parsing: one bad field costs that field; oversized feeds say what they dropped ---


def test_an_out_of_range_json_feed_date_costs_the_date_not_the_feed() -> None:
    body = json_feed(
        [
            {"id": "1", "title": "far future", "date_published": "9999-12-31T23:59:59-01:00"},
            {"id": "2", "title": "far past", "date_published": "0001-01-01T00:00:00+01:00"},
            {"id": "3", "title": "bad fields", "tags": 7, "authors": "nobody"},
            {"id": "4", "title": "fine", "date_published": "2026-11-27T10:00:00Z"},
        ]
    )
    parsed = parse_feed(body, None, "https://feed.example/", NOW)
    assert [i.guid for i in parsed.items] == ["1", "2", "3", "4"]
    assert parsed.items[0].published_at == NOW and parsed.items[3].published_at < NOW


def test_a_feed_over_the_entry_limit_says_how_many_were_dropped() -> None:
    parsed = parse_feed(many_entries_rss(MAX_ENTRIES + 145), None, "https://f.example/", NOW)
    assert len(parsed.items) == MAX_ENTRIES
    assert parsed.warning and "645 entries" in parsed.warning and "145 dropped" in parsed.warning
    assert parse_feed(many_entries_rss(10), None, "https://f.example/", NOW).warning is None


# --- the whole pipeline: store, baseline, isolation, what `racewatch sources` shows ---


@pytest.fixture
def app_for(write_config: Callable[[dict[str, Any]], Path]) -> Iterator[Callable[..., Config]]:
    """The configuration of a racewatch with these settings (``cycle`` runs it)."""

    def make(**settings: Any) -> Config:
        return load_config(write_config(settings), env={})

    yield make


async def cycle(config: Config) -> list[Any]:
    app = await start_app(config)
    try:
        return await app.poll_once(force=True)
    finally:
        await app.close()


def stored(config: Config) -> tuple[list[Item], list[Source]]:
    engine, sessions = open_store(config.database_url)
    with sessions() as session:
        items = list(session.scalars(select(Item).order_by(Item.id)))
        sources = list(session.scalars(select(Source).order_by(Source.name)))
        session.expunge_all()
    engine.dispose()
    return items, sources


def cli(config: Path, cwd: Path, *args: str) -> str:
    """``racewatch -c CONFIG ARGS`` in a wide terminal; it must succeed without a traceback."""
    result = subprocess.run(
        [sys.executable, "-m", "bot", "-c", str(config), *args],
        cwd=cwd,
        env={**os.environ, "COLUMNS": "400"},
        text=True,
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr
    return result.stdout


def sources_table(config: Path, cwd: Path) -> str:
    return cli(config, cwd, "sources")


@pytest.fixture
def postgres_url() -> Iterator[str]:
    yield from fresh_postgres_database()


async def test_nul_in_ids_links_and_titles_is_stripped_on_postgresql(
    server: LocalServer, postgres_url: str, app_for: Callable[..., Config]
) -> None:
    server.set("/feed.json", json_feed([{"id": "a", "title": "first", "url": "https://e.org/"}]))
    hf = [{"id": "Qwen/Qwen3-Nul", "createdAt": "2026-11-27T10:00:00.000Z", "tags": []}]
    server.set("/api/models", json.dumps(hf))
    settings = {
        "database_url": postgres_url,
        "sources": [
            {"name": "json", "url": server.url("/feed.json")},
            {"name": "hf", "type": "huggingface", "org": "Qwen"},
        ],
        "hub": {"huggingface_endpoint": server.base},
        "rules": [{"name": "everything", "when": {"source": ["json", "hf"]}}],
        "destinations": {"out": {"type": "jsonl", "path": "alerts.jsonl"}},
    }
    await cycle(app_for(**settings))  # the silent baseline
    server.set(
        "/feed.json",
        json_feed(
            [
                {"id": "a", "title": "first", "url": "https://e.org/"},
                {"id": "nul\x00id", "title": "NUL\x00 title", "url": "https://e.org/x\x00y"},
            ]
        ),
    )
    hf.append({"id": "Qwen/Qwen3\x00Next", "createdAt": "2026-11-28T10:00:00.000Z", "tags": []})
    server.set("/api/models", json.dumps(hf))
    outcomes = await cycle(app_for(**settings))
    assert all(o.ok for o in outcomes), outcomes
    items, sources = stored(app_for(**settings))
    assert sorted(i.guid for i in items if "nul" in i.guid or "Next" in i.guid) == [
        "hf:Qwen/Qwen3Next",
        "nulid",
    ]
    assert not any("\x00" in f"{i.title}{i.url}{i.hub}" for i in items)
    assert all(s.last_error is None and s.baseline_done for s in sources)


async def test_a_write_the_store_refuses_costs_only_that_source_and_is_shown(
    server: LocalServer, postgres_url: str, app_for: Callable[..., Config], tmp_path: Path
) -> None:
    server.set("/good.xml", rss([{"title": "Good news", "guid": "g1"}]))
    server.set("/bad.xml", rss([{"title": "Poisoned entry", "guid": "p1"}]))
    settings = {
        "database_url": postgres_url,
        "sources": [
            {"name": "good", "url": server.url("/good.xml")},
            {"name": "bad", "url": server.url("/bad.xml")},
        ],
        "destinations": {"out": {"type": "jsonl", "path": "alerts.jsonl"}},
    }
    engine, _ = open_store(app_for(**settings).database_url)
    with engine.begin() as conn:  # a real refusal by the real store, for one item
        conn.execute(
            text(
                "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                "IF NEW.title LIKE 'Poisoned%' THEN RAISE EXCEPTION 'refused by the store'; "
                "END IF; RETURN NEW; END $$"
            )
        )
        conn.execute(
            text(
                "CREATE TRIGGER refuse BEFORE INSERT ON items FOR EACH ROW EXECUTE FUNCTION refuse()"
            )
        )
    engine.dispose()
    outcomes = {o.source: o for o in await cycle(app_for(**settings))}
    assert outcomes["good"].ok and outcomes["good"].new_items == 1
    assert not outcomes["bad"].ok and "could not store its items" in (outcomes["bad"].error or "")
    items, sources = stored(app_for(**settings))
    assert [i.title for i in items] == ["Good news"]
    bad = next(s for s in sources if s.name == "bad")
    assert bad.failure_count == 1 and "refused by the store" in (bad.last_error or "")
    config = tmp_path / "racewatch.yaml"
    assert "could not store its items" in sources_table(config, tmp_path)


async def test_a_304_to_the_first_request_leaves_the_baseline_to_come(
    server: LocalServer, app_for: Callable[..., Config], tmp_path: Path
) -> None:
    backlog = rss([{"title": f"Old story {i}", "guid": f"old{i}"} for i in range(5)])
    server.set("/feed.xml", "", status=304)
    settings = {
        "sources": [{"name": "f", "url": server.url("/feed.xml")}],
        "rules": [{"name": "everything", "when": {"source": ["f"]}}],
        "destinations": {"out": {"type": "jsonl", "path": str(tmp_path / "a.jsonl")}},
        "poll": {"max_item_age": "3650d"},
    }
    await cycle(app_for(**settings))
    _, [source] = stored(app_for(**settings))
    assert not source.baseline_done
    server.set("/feed.xml", backlog)
    await cycle(app_for(**settings))  # the real first read: a silent baseline
    assert (
        not (tmp_path / "a.jsonl").exists() or "Old story" not in (tmp_path / "a.jsonl").read_text()
    )
    server.set(
        "/feed.xml",
        rss(
            [{"title": "Fresh story", "guid": "new"}]
            + [{"title": f"Old story {i}", "guid": f"old{i}"} for i in range(5)]
        ),
    )
    await cycle(app_for(**settings))
    sent = [json.loads(line)["title"] for line in (tmp_path / "a.jsonl").read_text().splitlines()]
    assert sent == ["Fresh story"]


async def test_the_hub_token_goes_to_the_hub_only(
    server: LocalServer, app_for: Callable[..., Config], monkeypatch: pytest.MonkeyPatch
) -> None:
    other = server.base.replace("127.0.0.1", "localhost")
    server.set("/api/models", "[]")
    server.set("/board", json.dumps({"rows": []}))
    monkeypatch.setenv("HF_TOKEN", "hf_do_not_leak")
    app = app_for(
        sources=[
            {"name": "hf", "type": "huggingface", "org": "Qwen"},
            {"name": "board", "type": "leaderboard", "url": other + "/board"},
        ],
        hub={"huggingface_endpoint": server.base},
    )
    await cycle(app)
    assert server.hits("/api/models")[0].get("Authorization") == "Bearer hf_do_not_leak"
    assert "Authorization" not in server.hits("/board")[0]


async def test_dropped_entries_are_logged_and_shown_in_sources(
    server: LocalServer,
    app_for: Callable[..., Config],
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    server.set("/big.xml", many_entries_rss(MAX_ENTRIES + 20))
    settings = {"sources": [{"name": "big", "url": server.url("/big.xml")}]}
    with caplog.at_level(logging.WARNING):
        await cycle(app_for(**settings))
    assert "big: the feed has 520 entries; only the first 500 were read" in caplog.text
    out = sources_table(tmp_path / "racewatch.yaml", tmp_path)
    assert "note: the feed has 520 entries" in out


async def test_poll_once_drains_the_whole_queue_after_a_roll_up(
    server: LocalServer, app_for: Callable[..., Config], tmp_path: Path
) -> None:
    server.set("/feed.xml", rss([{"title": "Old", "guid": "old"}]))
    settings = {
        "sources": [{"name": "f", "url": server.url("/feed.xml")}],
        "rules": [{"name": "everything", "when": {"source": ["f"]}}],
        "destinations": {"out": {"type": "jsonl", "path": str(tmp_path / "a.jsonl")}},
    }
    await cycle(app_for(**settings))  # baseline
    burst = [
        {"title": f"Distinct headline number {i} about topic {i * 7}", "guid": f"n{i}"}
        for i in range(145)
    ]
    server.set("/feed.xml", rss(burst))
    await cycle(app_for(**settings))
    _, sessions = open_store(app_for(**settings).database_url)
    with sessions() as session:
        left = session.scalars(select(Delivery.status).where(Delivery.status == "pending")).all()
    assert left == []  # all 145 went out (as roll-ups), none waits for the next run
    sent = (tmp_path / "a.jsonl").read_text().splitlines()
    assert sum(len(json.loads(line).get("alerts") or [1]) for line in sent) == 145
