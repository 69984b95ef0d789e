"""The composition root: builds every concrete object once and hands each its narrow needs."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from bot import __version__
from bot.alerts.llm import Summariser
from bot.attribution.board_models import BoardResolver, load_overrides
from bot.attribution.classify import Classifier
from bot.attribution.matcher import Matcher
from bot.attribution.registry import Registry, load_registry
from bot.config.loader import Config, load_config
from bot.delivery.base import Sender
from bot.delivery.console import ConsoleSender
from bot.delivery.jsonl import JsonlSender
from bot.delivery.outbox import OutboxWorker
from bot.delivery.pacing import Pacer
from bot.delivery.webhook_sender import WebhookSender
from bot.errors import ConfigError
from bot.items import NewItem
from bot.metrics import Metrics
from bot.rules.model import Mute, Rule
from bot.runtime.chat_host import HEARTBEAT_SECONDS, ChatHost
from bot.runtime.digests import Digests
from bot.runtime.ingest import Ingestor
from bot.runtime.poller import Poller, PollOutcome
from bot.runtime.prepare import start_worker
from bot.runtime.server import HttpServer
from bot.shipped import shipped_file
from bot.sources.budget import plan as plan_budget
from bot.sources.http import HttpClient, HttpLimits
from bot.sources.parsepool import ParserPool
from bot.store import processes_repo, queue_stats, rules_repo, sources_repo
from bot.store.db import open_store

if TYPE_CHECKING:  # chat, the HTTP endpoint and the scheduler are imported when used:
    # a cron `poll --once` needs none of them (start-up CPU, issue 21)
    from rich.console import Console

    from bot.commands.handlers import Commands
    from bot.runtime.weekly import WeeklyPost

log = logging.getLogger(__name__)
DRAIN_PATIENCE = 5.0  # seconds a drain job waits for its destinations
Store = tuple[Engine, sessionmaker[Session]]  # an opened store: its engine and sessions


def utcnow() -> datetime:
    return datetime.now(UTC)


def load_org_registry(config: Config) -> Registry:
    base = config.config_file.parent if config.config_file else Path.cwd()
    return load_registry([base / f for f in config.settings.organisations_files])


def board_resolver(config: Config, registry: Registry, matcher: Matcher) -> BoardResolver:
    """Leaderboard models -> organisations: the shipped overrides, then the user's files."""
    base = config.config_file.parent if config.config_file else Path.cwd()
    files = [shipped_file("leaderboard_models.yaml")]
    files += [base / f for f in config.settings.gap.model_overrides]
    return BoardResolver(registry, matcher, load_overrides(files, registry))


def build_senders(config: Config, console: Console | None = None) -> dict[str, Sender]:
    """One sender per configured destination; secrets are read from the environment here."""
    settings = config.settings
    base = config.config_file.parent if config.config_file else Path.cwd()
    senders: dict[str, Sender] = {}
    for name, spec in settings.destinations.items():
        secret = os.environ.get(spec.secret_env) if spec.secret_env else None
        if spec.type == "console":
            senders[name] = ConsoleSender(name, console)
        elif spec.type == "jsonl":
            senders[name] = JsonlSender(name, base / Path(spec.path).expanduser())
        elif spec.type == "discord":
            from bot.delivery.discord_sender import DiscordBotSender, use_api

            use_api(settings.platforms.discord_api)
            senders[name] = DiscordBotSender(name, spec.channel, secret)
        elif spec.type == "discord_webhook":
            from bot.delivery.discord_sender import use_api
            from bot.delivery.discord_webhook import DiscordWebhookSender

            use_api(settings.platforms.discord_api)
            senders[name] = DiscordWebhookSender(name, secret, os.environ.get("DISCORD_TOKEN"))
        elif spec.type == "slack":
            from bot.delivery.slack_sender import SlackSender

            senders[name] = SlackSender(name, spec.channel, secret, settings.platforms.slack_api)
        else:
            senders[name] = WebhookSender(name, secret)
        if spec.rate is not None and hasattr(senders[name], "pacer"):
            per_second = max(1, int(spec.rate))
            senders[name].pacer = Pacer(per_second, per_second / spec.rate)  # type: ignore[attr-defined]
    return senders


@dataclass(frozen=True)
class Parts:
    """What a running process is made of, every part built (by :func:`start_app`)."""

    engine: Engine
    sessions: sessionmaker[Session]
    http: HttpClient
    parsers: ParserPool
    senders: dict[str, Sender]
    outbox: OutboxWorker
    poller: Poller
    summariser: Summariser


async def start_app(
    config: Config,
    *,
    console: Console | None = None,
    clock: Callable[[], datetime] = utcnow,
    store: Store | None = None,
) -> App:
    """A running process, fully built: the store opened (or ``store``), the sources synced,
    the workers started. Nothing is half-built: a part that fails closes those before it."""
    owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
    metrics = Metrics()
    async with contextlib.AsyncExitStack() as built:
        if store is None:
            store = await asyncio.to_thread(open_store, config.database_url)
        engine, sessions = store
        built.callback(engine.dispose)
        parts = await _build(config, built, engine, sessions, owner, console, clock, metrics)
        app = App(config, parts, owner=owner, console=console, clock=clock, metrics=metrics)
        await asyncio.to_thread(app.refresh_chat_rules)
        built.pop_all()  # it runs: from here on, closing it (App.close) is the caller's
    return app


async def _build(
    config: Config,
    built: contextlib.AsyncExitStack,
    engine: Engine,
    sessions: sessionmaker[Session],
    owner: str,
    console: Console | None,
    clock: Callable[[], datetime],
    metrics: Metrics,
) -> Parts:
    """Every part, in order; each one is closed by ``built`` should a later one fail."""
    settings = config.settings
    registry = await asyncio.to_thread(load_org_registry, config)
    budget = plan_budget(
        config.sources, settings.poll.default_interval, has_token=bool(os.environ.get("HF_TOKEN"))
    )
    log.info("%s", budget.describe())

    def sync() -> None:
        with sessions.begin() as session:
            sources_repo.sync_sources(
                session, budget.sources, clock(), settings.poll.default_interval
            )

    await asyncio.to_thread(sync)  # no database work on the event loop
    poll = settings.poll
    http = HttpClient(
        HttpLimits(
            poll.connect_timeout,
            poll.read_timeout,
            poll.max_body,
            poll.max_redirects,
            poll.per_host,
            poll.host_delay,
        )
    )
    built.push_async_callback(http.close)
    parsers = ParserPool(  # parse and classify across cores
        workers=min(2, os.cpu_count() or 1),
        timeout=poll.parse_timeout,
        initializer=start_worker,
        initargs=(registry,),
    )
    built.push_async_callback(asyncio.to_thread, parsers.close)
    senders = build_senders(config, console)
    for sender in senders.values():
        built.push_async_callback(sender.close)
    classifier = Classifier(registry)
    ingestor = Ingestor(classifier, config.rules, config.mutes, list(senders), poll.max_item_age)
    outbox = OutboxWorker(
        sessions=sessions,
        senders=senders,
        registry=registry,
        owner=owner,
        clock=clock,
        admin=settings.admin_destination,
        lease=settings.outbox_lease,
        roll_up_at=settings.roll_up_at,
        metrics=metrics,
        retry_for=settings.outbox_retry_for,
    )
    loop = asyncio.get_running_loop()

    def notify(text: str) -> None:
        asyncio.run_coroutine_threadsafe(outbox.tell_admin(text), loop)

    summariser = Summariser(settings.llm, sessions)
    built.push_async_callback(summariser.close)
    poller = Poller(
        http=http,
        parsers=parsers,
        sessions=sessions,
        ingestor=ingestor,
        poll=poll,
        hub=settings.hub,
        owner=owner,
        clock=clock,
        notify=notify,
        metrics=metrics,
        gap=settings.gap,
        boards=board_resolver(config, registry, classifier.matcher),
    )
    return Parts(engine, sessions, http, parsers, senders, outbox, poller, summariser)


class App:
    """One running racewatch process: polling, delivery, chat, digests and its endpoint.

    Built by :func:`start_app`, so every part exists from the start; :meth:`close` stops it.
    """

    def __init__(
        self,
        config: Config,
        parts: Parts,
        *,
        owner: str,
        console: Console | None,
        clock: Callable[[], datetime],
        metrics: Metrics,
    ) -> None:
        self.config = config
        self.console = console
        self.clock = clock
        self.owner = owner
        self.metrics = metrics
        self.engine = parts.engine
        self.sessions = parts.sessions
        self.http = parts.http
        self.parsers = parts.parsers
        self.senders = parts.senders
        self.outbox = parts.outbox
        self.poller = parts.poller
        self.summariser = parts.summariser
        self._tasks: set[asyncio.Task[list[PollOutcome]]] = set()
        self._in_flight = 0  # sources claimed by _tick and not yet done
        self._ticking = False  # a tick is claiming: the timer's and a batch's never overlap
        # while running: a finished batch claims the next at once, not at the next tick
        self._claim_on_finish = False
        self._drain_lock = asyncio.Lock()
        self._background: set[asyncio.Task[Any]] = set()
        self._chat_rules: list[Rule] = []
        self._rules_read_at = datetime.min.replace(tzinfo=UTC)
        self._commands: Commands | None = None  # built on first use: they own chat threads
        settings = config.settings
        self.chat = ChatHost(
            settings.platforms,
            engine=self.engine,
            sessions=self.sessions,
            owner=owner,
            clock=clock,
            commands=self.commands,
            background=self._background,
        )
        self.digests = Digests(
            engine=self.engine,
            sessions=self.sessions,
            outbox=self.outbox,
            senders=self.senders,
            report=settings.state_of_the_race,
            rules=lambda: self.rules_in_force()[0],
            drain_lock=self._drain_lock,
            clock=clock,
        )
        self.server = HttpServer(
            settings.server,
            hub_endpoint=settings.hub.huggingface_endpoint,
            sessions=self.sessions,
            owner=owner,
            metrics=metrics,
            pushed=self._pushed,
            slack=self.chat.slack_endpoint,
            clock=clock,
        )

    async def start_server(self) -> None:
        """racewatch's own HTTP endpoint, when enabled: webhooks, Slack events, metrics."""
        await self.server.start()

    @property
    def server_port(self) -> int | None:
        return self.server.port

    async def _pushed(self, namespace: str, item: NewItem) -> bool:
        taken = await self.poller.push(namespace, item)
        if taken:
            task = asyncio.create_task(self._drain())  # alert within seconds, not at the next tick
            self._background.add(task)
            task.add_done_callback(self._background.discard)
        return taken

    async def poll_once(
        self,
        *,
        force: bool = False,
        on_claimed: Callable[[int], None] | None = None,
        on_done: Callable[[PollOutcome], None] | None = None,
    ) -> list[PollOutcome]:
        """One full cycle: every due source, including sources never polled (or every source
        with ``force``), then the outbox."""
        outcomes: list[PollOutcome] = []
        while True:
            first = not outcomes
            claimed = await asyncio.to_thread(
                self.poller.claim, 500, force=force and first, new=first
            )
            if not claimed:
                break
            if on_claimed is not None:
                on_claimed(len(claimed))
            outcomes += await self.poller.poll_many(claimed, on_done)
            force = False
        await self._probe_destinations()
        await self.outbox.drain()
        return outcomes

    async def _tick(self) -> None:
        if self._ticking:
            return
        self._ticking = True
        try:
            await self._claim_and_poll()
        finally:
            self._ticking = False

    async def _claim_and_poll(self) -> None:
        # other processes may have changed chat rules: re-read them every minute
        if self.clock() - self._rules_read_at > timedelta(seconds=60):
            self._rules_read_at = self.clock()
            await asyncio.to_thread(self.refresh_chat_rules)
        # Sources, not batches, hold the slots: a slow source holds its own slot until its
        # deadline, and the next tick claims more for the free ones.
        free = self.config.settings.poll.concurrency * 2 - self._in_flight
        if free <= 0:
            return
        try:
            claimed = await asyncio.to_thread(self.poller.claim, free)
        except Exception:
            log.exception("could not read due sources from the store; will try again")
            return
        if not claimed:
            return
        self._in_flight += len(claimed)
        remaining = [len(claimed)]

        def done(_outcome: PollOutcome) -> None:
            remaining[0] -= 1
            self._in_flight -= 1

        def finished(done_task: asyncio.Task[list[PollOutcome]]) -> None:
            self._in_flight -= remaining[0]  # sources of a batch that was cancelled
            remaining[0] = 0
            if self._claim_on_finish and not done_task.cancelled():
                again = asyncio.create_task(self._tick(), name="tick: a batch finished")
                self._background.add(again)
                again.add_done_callback(self._background.discard)

        task = asyncio.create_task(
            self.poller.poll_many(claimed, done), name=f"poll:{len(claimed)} sources"
        )
        task.add_done_callback(finished)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        task.add_done_callback(self._summarise_later)

    def _summarise_later(self, task: asyncio.Task[list[PollOutcome]]) -> None:
        """Ask the LLM (when enabled) for summaries of what just matched; nobody waits."""
        if not self.summariser.enabled or task.cancelled():
            return
        alerted = [i for o in task.result() for i in o.alerted] if task.exception() is None else []
        if alerted:
            job = asyncio.create_task(self.summariser.summarise_items(alerted))
            self._background.add(job)
            job.add_done_callback(self._background.discard)

    async def _probe_destinations(self) -> None:
        """At start-up and on a schedule: a broken destination whose check passes again is
        sent to again (``racewatch destinations resume`` does it at once)."""
        try:
            await self.outbox.probe_broken()
        except Exception:
            log.exception("checking broken destinations failed; will try again")

    async def _drain(self) -> None:
        async with self._drain_lock:
            try:  # a slow destination carries on in the background; the others start again
                await self.outbox.drain(wait=DRAIN_PATIENCE)
            except Exception:
                log.exception("delivering alerts failed; will try again")

    async def run_forever(self, stop: asyncio.Event) -> None:
        from bot.runtime.scheduler import add_interval_job, build_scheduler

        scheduler = build_scheduler(
            self._tick,
            self.config.settings.poll.tick,
            self._drain,
            self.config.settings.outbox_interval,
        )
        add_interval_job(scheduler, "heartbeat", HEARTBEAT_SECONDS, self._heartbeat)
        probe = self.config.settings.destination_probe_interval
        add_interval_job(scheduler, "probe-destinations", probe, self._probe_destinations)
        self.digests.schedule(scheduler)
        scheduler.start()
        self._claim_on_finish = True
        log.info(
            "racewatch is running with %d sources and %d rules; Ctrl-C stops it",
            len(self.config.sources),
            len(self.config.rules),
        )
        try:
            await stop.wait()
        finally:
            log.info("stopping: finishing what is in flight (at most a few seconds)")
            self._claim_on_finish = False
            scheduler.pause()
            self.outbox.stopping = True  # finish the alert being sent, start no other
            await self._stop_tasks()
            try:
                async with asyncio.timeout(1.5):
                    await self._drain_lock.acquire()
                    await self.outbox.settle()
            except TimeoutError:
                log.warning("an alert was still being sent; it will be retried on the next start")
            scheduler.shutdown(wait=False)

    def rules_in_force(self) -> tuple[list[Rule], list[Mute]]:
        """File rules and chat rules together (chat rules live in the database)."""
        return list(self.config.rules) + list(self._chat_rules), list(self.config.mutes)

    def refresh_chat_rules(self) -> None:
        """Re-read chat rules (after a chat change here, or periodically for other processes)."""
        with self.sessions.begin() as session:
            self._chat_rules = rules_repo.chat_rules(session)
        rules, mutes = self.rules_in_force()
        self.poller.ingestor.rules, self.poller.ingestor.mutes = rules, mutes
        self.digests.rules_changed()

    def commands(self) -> Commands:
        """The command handlers (built once: they own the chat threads and rate limits)."""
        if self._commands is None:
            from bot.commands.context import CommandContext
            from bot.commands.handlers import Commands

            platforms = self.config.settings.platforms
            self._commands = Commands(
                CommandContext(
                    sessions=self.sessions,
                    registry=self.outbox.registry,
                    rules=self.rules_in_force,
                    max_age=self.config.settings.poll.max_item_age,
                    destinations=list(self.config.settings.destinations),
                    clock=self.clock,
                    command=platforms.command,
                    rules_changed=self.refresh_chat_rules,
                    send_digests=self.send_all_digests,
                    max_chat_rules=platforms.max_chat_rules,
                    max_chat_sources=platforms.max_chat_sources,
                    gap_within=self.config.settings.gap.within,
                )
            )
        return self._commands

    async def start_chat(self) -> None:
        """Slash commands on Slack and Discord, when this process holds the chat role."""
        await self.chat.start()

    def reload_rules(self) -> bool:
        """Re-read the configuration's rules (SIGHUP). A file with mistakes is rejected whole,
        every mistake is logged, and the rules in force stay in force."""
        try:
            fresh = load_config(self.config.config_file)
        except ConfigError as exc:
            log.error(
                "rules not reloaded; %d problem(s), the rules in force stay:", len(exc.problems)
            )
            for problem in exc.problems:
                log.error("  %s", problem)
            return False
        self.config = replace(self.config, rules=fresh.rules, mutes=fresh.mutes)
        self.poller.ingestor.rules, self.poller.ingestor.mutes = self.rules_in_force()
        log.info("rules reloaded: %d rules, %d mutes", len(fresh.rules), len(fresh.mutes))
        return True

    async def _heartbeat(self) -> None:
        """Tell the group this process lives, refresh the gauges, and take over chat if the
        process that held it is gone."""
        await self.chat.recheck()
        roles = self.chat.roles()

        def beat(session: Session) -> None:
            now = self.clock()
            processes_repo.heartbeat(
                session,
                owner=self.owner,
                host=socket.gethostname(),
                pid=os.getpid(),
                version=__version__,
                roles=roles,
                now=now,
                destinations=sorted(self.senders),
            )
            self.metrics.refresh(*queue_stats.pending(session), now)

        try:
            await asyncio.to_thread(self._in_session, beat)
            await self.chat.fail_over()  # the previous holder's lock may be free again
        except Exception:
            log.exception("heartbeat failed; will try again")

    def _in_session(self, fn: Callable[[Session], None]) -> None:
        with self.sessions.begin() as session:
            fn(session)

    def weekly_post(self) -> WeeklyPost:
        return self.digests.weekly_post()

    async def send_digest(self, rule: str) -> int:
        return await self.digests.send_digest(rule)

    async def send_all_digests(self) -> int:
        """Every held alert now, whatever the schedules say (``racewatch digest --now``)."""
        return await self.digests.send_all()

    async def _stop_tasks(self) -> None:
        if self._tasks:
            _done, pending = await asyncio.wait(self._tasks, timeout=2.5)
            for task in pending:
                task.cancel()  # its lease expires; the source is polled again next start
            if pending:
                await asyncio.wait(pending, timeout=1.0)

    async def close(self) -> None:
        """Stop everything this process runs, and leave the process table."""
        await self.chat.close()
        if self._commands is not None:
            self._commands.close()
        try:
            await asyncio.to_thread(
                self._in_session, lambda s: processes_repo.forget(s, self.owner)
            )
        except Exception:
            log.warning("could not remove this process from the process table", exc_info=True)
        await self.summariser.close()
        await self.server.close()
        for sender in self.senders.values():
            await sender.close()
        await self.http.close()
        await asyncio.to_thread(self.parsers.close)
        self.engine.dispose()
