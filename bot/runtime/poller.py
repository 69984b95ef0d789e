"""Polling: claim due sources, fetch and parse each, ingest, and record how it went.

Each source is its own unit of work with its own transaction: one broken feed never stops
the others, and a crash loses at most the source being polled (its lease then expires).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import os
import random
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from urllib.parse import urlsplit

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from bot.attribution.board_models import BoardResolver
from bot.attribution.classify import Classification
from bot.boards import BoardRow, BoardSnapshot, arena_page, arena_title
from bot.config.settings import GapSettings, HubSettings, PollSettings
from bot.errors import FetchError
from bot.gap import capability
from bot.items import NewItem, storable_item
from bot.metrics import Metrics
from bot.runtime.ingest import Ingestor, IngestReport, Verdicts
from bot.runtime.prepare import PreparedFeed, SourceFacts, prepare_feed
from bot.runtime.timing import backoff, next_poll
from bot.sources import kinds
from bot.sources.feeds import MAX_ENTRIES, ParsedFeed
from bot.sources.http import HttpClient, Response, cache_max_age
from bot.sources.kinds.base import ParseContext
from bot.sources.parsepool import ParserPool
from bot.store import boards_repo, sources_repo
from bot.store.items_repo import recent_guids
from bot.store.sources_repo import DueSource
from bot.text import counted

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PollOutcome:
    source: str
    ok: bool
    new_items: int = 0
    queued: int = 0
    error: str | None = None
    not_modified: bool = False
    alerted: tuple[int, ...] = ()
    note: str | None = None  # the warning for the log, written once the batch is done


_CONNECT = re.compile(r"cannot connect to \S+?: (?P<why>.*)")
_RESOLVE = ("name resolution", "name or service not known", "nodename nor servname", "no address")


def network_failure(error: str | None) -> str | None:
    """What a connection error says once its host is taken out ("failed to resolve (Name or
    service not known)"), or None when the error is not about reaching the network."""
    match = _CONNECT.fullmatch(error or "")
    if match is None:
        return None
    why = re.sub(r"\s*\(.*?\)", "", match["why"]).strip()  # "('10.0.0.1', 443)" varies per host
    verb = "resolve" if any(r in why.lower() for r in _RESOLVE) else "connect"
    return f"failed to {verb} ({why})"


def shared_network_failure(outcomes: list[PollOutcome]) -> str | None:
    """The one network error every outcome of a batch failed with, if they all did (2 or more):
    then the network is down, not the sources."""
    if len(outcomes) < 2 or any(o.ok for o in outcomes):
        return None
    reasons = {network_failure(o.error) for o in outcomes}
    return reasons.pop() if len(reasons) == 1 else None


Notify = Callable[[str], None]


class Poller:
    def __init__(
        self,
        *,
        http: HttpClient,
        parsers: ParserPool,
        sessions: sessionmaker[Session],
        ingestor: Ingestor,
        poll: PollSettings,
        hub: HubSettings,
        owner: str,
        clock: Callable[[], datetime],
        notify: Notify | None = None,
        metrics: Metrics | None = None,
        rng: random.Random | None = None,
        gap: GapSettings | None = None,
        boards: BoardResolver | None = None,
    ) -> None:
        self.http, self.parsers, self.sessions, self.ingestor = http, parsers, sessions, ingestor
        self.poll, self.hub, self.owner, self.clock = poll, hub, owner, clock
        self.notify = notify or (lambda text: None)
        self.metrics = metrics
        self.rng = rng or random.Random()
        self.gap = gap or GapSettings()
        self.boards = boards or BoardResolver(
            ingestor.registry, ingestor.classifier.matcher, overrides=[]
        )
        # each feed's guids at its last poll (from the store after a start): the parsers need
        # not classify those again
        self._seen: dict[int, frozenset[str]] = {}
        # SQLite takes one writer at a time; queueing this process's ingest transactions on a
        # lock is far cheaper than SQLite's busy handler, which sleeps and retries
        bind = sessions.kw.get("bind")
        sqlite = bind is not None and bind.dialect.name == "sqlite"
        self._writer: contextlib.AbstractContextManager[object] = (
            threading.Lock() if sqlite else contextlib.nullcontext()
        )
        self._offline = False  # "no network" was said; say nothing more until a poll works

    def country_of(self, organisation: str | None) -> str | None:
        """The country of an organisation named in free text (a leaderboard's column)."""
        if not organisation:
            return None
        registry = self.ingestor.registry
        for mention in self.ingestor.classifier.matcher.find(organisation):
            org = registry.get(mention.org_id)
            if org is not None and not org.weak:
                return registry.root(org).country
        return None

    async def push(self, namespace: str, item: NewItem) -> bool:
        """Ingest an item pushed by a webhook into the source that watches its namespace."""

        item = storable_item(item)

        def ingest() -> bool:
            with self.sessions.begin() as session:
                found = sources_repo.find_hub_source(session, namespace)
            if found is None:
                return False
            now = self.clock()
            classified: dict[str, Classification] = {}
            # judged before the write lock, like a polled batch
            verdicts = self.ingestor.judge(found, [item], classified, now, classify_missing=True)
            with self._writer, self.sessions.begin() as session:
                source = sources_repo.find_hub_source(session, namespace)
                if source is None:
                    return False
                report = self.ingestor.ingest(
                    session,
                    source,
                    [item],
                    now,
                    baseline=not source.baseline_done,
                    classified=classified,
                    verdicts=verdicts,
                )
            log.info(
                "%s: webhook pushed %s (%d new, %d alerts queued)",
                source.name,
                item.guid,
                report.new_items,
                report.queued,
            )
            return True

        return await asyncio.to_thread(ingest)

    def claim(self, limit: int, *, force: bool = False, new: bool = False) -> list[DueSource]:
        """Claim due sources; ``force`` makes every source due, ``new`` every never-polled one."""
        with self.sessions.begin() as session:
            now = self.clock()
            if force:
                sources_repo.make_all_due(session, now)
            elif new:
                sources_repo.make_new_due(session, now)
            return sources_repo.claim_due(session, now, limit, self.owner, self.poll.lease)

    async def poll_many(
        self, sources: list[DueSource], on_done: Callable[[PollOutcome], None] | None = None
    ) -> list[PollOutcome]:
        gate = asyncio.Semaphore(self.poll.concurrency)

        unchanged: list[dict[str, object]] = []

        async def one(source: DueSource) -> PollOutcome:
            async with gate:
                outcome = await self.poll_source(source, unchanged)
            if on_done is not None:
                on_done(outcome)
            return outcome

        try:
            outcomes = list(await asyncio.gather(*(one(s) for s in sources)))
        finally:
            if unchanged:  # one transaction for every source that had nothing new
                await asyncio.to_thread(self._record_unchanged, unchanged)
        self._log_failures(outcomes)
        return outcomes

    def _log_failures(self, outcomes: list[PollOutcome]) -> None:
        """One line per failed source, or one line in all when the network itself is down."""
        down = shared_network_failure(outcomes)
        if down is not None:
            if not self._offline:
                log.warning(
                    "no network: %d of %d sources %s; retrying with backoff",
                    len(outcomes),
                    len(outcomes),
                    down,
                )
            self._offline = True
            return
        if self._offline and any(o.ok for o in outcomes):
            log.info("the network is back: polls succeed again")
            self._offline = False
        for outcome in outcomes:
            if outcome.note:
                log.warning("%s", outcome.note)

    def _record_unchanged(self, rows: list[dict[str, object]]) -> None:
        with self.sessions.begin() as session:
            sources_repo.record_unchanged(session, rows)

    async def poll_source(
        self, source: DueSource, unchanged: list[dict[str, object]] | None = None
    ) -> PollOutcome:
        """Fetch, parse and ingest one source; every failure becomes a recorded outcome.

        Each source has its own deadline for fetching and parsing, so a server that drips
        its answer a byte at a time costs its own source, never the others' turn."""
        deadline = (
            self.poll.connect_timeout + 2 * self.poll.read_timeout + 2 * self.poll.parse_timeout
        )
        try:
            async with asyncio.timeout(deadline):
                fetched = await self._fetch(source)
        except TimeoutError:
            exc = FetchError(f"no complete answer and parse within {deadline:.0f} s")
            return await asyncio.to_thread(self._failed, source, exc)
        except FetchError as exc:
            return await asyncio.to_thread(self._failed, source, exc)
        except Exception as exc:  # a bug must cost one source, not the loop
            log.exception("unexpected error polling %s", source.name)
            return await asyncio.to_thread(
                self._failed, source, FetchError(f"internal error: {exc}")
            )
        response, prepared = fetched
        if prepared is None and unchanged is not None:
            # nothing new: no transaction of its own, the batch records it (cheap per feed)
            unchanged.append(self._unchanged_row(source, response))
            if self.metrics:
                self.metrics.polls.labels("unchanged").inc()
            return PollOutcome(source.name, True, not_modified=True)
        try:
            return await asyncio.to_thread(self._succeeded, source, response, prepared)
        except Exception as exc:  # the store refused this source's write: its problem alone
            log.exception("%s: storing what was fetched failed", source.name)
            error = FetchError(f"could not store its items: {type(exc).__name__}: {exc}")
            return await asyncio.to_thread(self._failed, source, error)

    def _unchanged_row(self, source: DueSource, response: Response) -> dict[str, object]:
        now = self.clock()
        max_age = cache_max_age(response.headers.get("cache-control"))
        return {
            "id": source.id,
            "now": now,
            "next_poll_at": next_poll(now, source.interval_s, self.poll.jitter, self.rng, max_age),
            "etag": response.headers.get("etag", source.etag),
            "last_modified": response.headers.get("last-modified", source.last_modified),
        }

    async def _fetch(self, source: DueSource) -> tuple[Response, PreparedFeed | None]:
        headers: dict[str, str] = {}
        if source.etag:
            headers["If-None-Match"] = source.etag
        if source.last_modified:
            headers["If-Modified-Since"] = source.last_modified
        kind, spec = kinds.kind_of(source.type), source.settings
        url = kind.request_url(spec, self.hub, source.url)
        token = os.environ.get("HF_TOKEN")
        if token and kind.hub_token and self._is_hub_host(url):
            headers["Authorization"] = f"Bearer {token}"
        if spec.host_delay:
            host = url.split("/")[2] if "://" in url else ""
            self.http.set_host_delay(host, float(spec.host_delay))
        trusted = source.trusted or self.poll.allow_private_networks
        response = await self.http.get(url, headers=headers, trusted=trusted)
        if response.not_modified:
            return response, None
        digest = hashlib.sha256(response.body).hexdigest()
        if digest == source.content_hash:
            return response, None
        now = self.clock()
        parsed = kind.parse(spec, response.body, ParseContext(self.hub, now, self.country_of))
        if parsed is not None:  # JSON from an API; feed markup goes to the worker pool
            return response, PreparedFeed(ParsedFeed(source.name, parsed.items), board=parsed.board)
        content_type = response.headers.get("content-type")
        seen = self._seen.get(source.id)
        if seen is None and source.baseline_done:  # first poll in this process
            seen = await asyncio.to_thread(self._stored_guids, source.id)
        prepared = await self.parsers.run(
            url,
            prepare_feed,
            response.body,
            content_type,
            url,
            now,
            SourceFacts.of(source),
            seen or frozenset(),
        )
        assert isinstance(prepared, PreparedFeed)
        self._seen[source.id] = frozenset(i.guid for i in prepared.feed.items)
        if prepared.feed.warning:
            log.warning("%s: %s", source.name, prepared.feed.warning)
        return response, prepared

    def _stored_guids(self, source_id: int) -> frozenset[str]:
        with self.sessions.begin() as session:
            return recent_guids(session, source_id, 2 * MAX_ENTRIES)

    def _is_hub_host(self, url: str) -> bool:
        """The Hugging Face token belongs to the configured Hub and its datasets server: never
        to a leaderboard, feed or mirror elsewhere (the client drops it on redirects away)."""
        host = (urlsplit(url).hostname or "").lower()
        own = {
            (urlsplit(endpoint).hostname or "").lower()
            for endpoint in (self.hub.huggingface_endpoint, self.hub.datasets_server)
        }
        return bool(host) and host in own

    def _succeeded(
        self, source: DueSource, response: Response, prepared: PreparedFeed | None
    ) -> PollOutcome:
        now = self.clock()
        max_age = cache_max_age(response.headers.get("cache-control"))
        when = next_poll(now, source.interval_s, self.poll.jitter, self.rng, max_age)
        etag = response.headers.get("etag", source.etag)
        last_modified = response.headers.get("last-modified", source.last_modified)
        baseline = not source.baseline_done
        if prepared is not None and prepared.board is not None:
            events = self.record_board(prepared.board, now)
            feed = replace(prepared.feed, items=[*prepared.feed.items, *events])
            prepared = replace(prepared, feed=feed)
        classified = dict(prepared.classified) if prepared is not None else {}
        verdicts = (
            self.ingestor.judge(
                source,
                prepared.feed.items,
                classified,
                now,
                classify_missing=source.type != "feed",  # hub items are classified here
            )
            if prepared is not None and not baseline
            else None
        )
        for attempt in (1, 2):
            try:
                return self._store(
                    source, response, prepared, classified, verdicts, now, when, etag, last_modified
                )
            except IntegrityError as exc:
                if attempt == 2 or not _same_items_stored(exc):
                    raise
                # another process held this source too (its lease ran out while it worked)
                # and stored some of these items first: the transaction rolled back whole,
                # and the second pass stores only what is still new
                log.info("%s: another process stored some items at the same moment", source.name)
        raise AssertionError("unreachable")

    def _store(
        self,
        source: DueSource,
        response: Response,
        prepared: PreparedFeed | None,
        classified: dict[str, Classification],
        verdicts: Verdicts | None,
        now: datetime,
        when: datetime,
        etag: str | None,
        last_modified: str | None,
    ) -> PollOutcome:
        """One transaction: the source's new items, their alerts and its poll record."""
        report = IngestReport(0, 0, 0)
        baseline = not source.baseline_done
        with self._writer, self.sessions.begin() as session:
            content_hash = source.content_hash
            if prepared is not None:
                report = self.ingestor.ingest(
                    session,
                    source,
                    prepared.feed.items,
                    now,
                    baseline,
                    classified,
                    verdicts,
                )
                content_hash = hashlib.sha256(response.body).hexdigest()
                if baseline and report.matched:
                    log.info(
                        "%s: first poll, %s stored; the newest went through the rules "
                        "(backfill), %s queued",
                        source.name,
                        counted(report.new_items, "item"),
                        counted(report.queued, "alert"),
                    )
                elif baseline:
                    log.info(
                        "%s: first poll, %s stored as a silent baseline",
                        source.name,
                        counted(report.new_items, "item"),
                    )
            sources_repo.record_success(
                session,
                source.id,
                now=now,
                next_poll_at=when,
                etag=etag,
                last_modified=last_modified,
                content_hash=content_hash,
                new_items=report.new_items,
                # a baseline is done only when the feed was read: after a first answer of
                # 304 the next poll would otherwise alert on the whole backlog. (A feed read
                # empty is a baseline: its first entry is news, such as an org's first model.)
                baseline_done=source.baseline_done or prepared is not None,
                notice=prepared.feed.warning if prepared else None,
            )
        if report.new_items and source.baseline_done:
            log.info(
                "%s: %d new items, %d alerts queued", source.name, report.new_items, report.queued
            )
        if self.metrics:
            self.metrics.polls.labels("unchanged" if prepared is None else "ok").inc()
            self.metrics.items.inc(report.new_items)
            self.metrics.matches.inc(report.matched)
        return PollOutcome(
            source.name,
            True,
            report.new_items,
            report.queued,
            not_modified=prepared is None,
            alerted=report.alerted,
        )

    def record_board(self, board: BoardSnapshot, now: datetime) -> list[NewItem]:
        """Keep a leaderboard snapshot (its own short transaction, before the items are
        judged); the lead changing hands or the gap crossing a threshold that day becomes a
        ``benchmark`` item. Their ids are stable, so a board seen again adds nothing."""
        with self._writer, self.sessions.begin() as session:
            saved = boards_repo.save_snapshot(session, board, self.resolve_board_row)
        if saved.after is None:
            return []
        found = capability.events(
            board.arena, arena_title(board.arena), saved.before, saved.after, self.gap.thresholds
        )
        return [
            NewItem(
                guid=event.key,
                title=event.title,
                url=arena_page(board.arena),
                summary=event.summary,
                published_at=now,
                language="en",
                tags=("leaderboard", "lmarena", "gap"),
            )
            for event in found
        ]

    def resolve_board_row(self, row: BoardRow) -> tuple[str | None, str | None]:
        resolved = self.boards.resolve(row)
        return resolved.org_id, resolved.country

    def _failed(self, source: DueSource, exc: FetchError) -> PollOutcome:
        now = self.clock()
        failures = source.failure_count + 1
        pause = failures >= self.poll.pause_after_failures
        when = backoff(
            now, failures, self.poll.backoff_base, self.poll.backoff_cap, self.rng, exc.retry_after
        )
        try:
            with self.sessions.begin() as session:
                sources_repo.record_failure(
                    session, source.id, now=now, error=str(exc), next_poll_at=when, pause=pause
                )
        except Exception:  # the store is down: say so; the lease expires and it is retried
            log.exception("%s: could not record the failure (%s)", source.name, exc)
        if pause:
            text = (
                f"source '{source.name}' paused after {failures} failures in a row: {exc}. "
                f"Resume it with: racewatch sources resume {source.name}"
            )
            log.warning("%s", text)
            self.notify(text)
        wait = (when - now).total_seconds()
        note = f"{source.name}: {exc} (failure {failures}, next try in {_human(wait)})"
        if self.metrics:
            self.metrics.polls.labels("failed").inc()
            self.metrics.fetch_errors.labels(source.name).inc()
        return PollOutcome(source.name, False, error=str(exc), note=None if pause else note)


def _human(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def _same_items_stored(exc: IntegrityError) -> bool:
    """Whether a write failed only because another process stored the same items first
    (a source's items are unique by guid: ``uq_items_source_guid``)."""
    text = str(exc.orig)
    return "uq_items_source_guid" in text or "items.source_id, items.guid" in text
