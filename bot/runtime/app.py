"""The composition root: builds every concrete object once and hands each its narrow needs."""

from __future__ import annotations

import asyncio
import errno
import logging
import os
import socket
import uuid
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from sqlalchemy import Engine, text
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
from bot.errors import ConfigError, SetupError
from bot.items import NewItem
from bot.metrics import Metrics
from bot.rules.model import Mute, Rule
from bot.rules.timing import DEFAULT_DIGEST
from bot.runtime.ingest import Ingestor
from bot.runtime.poller import Poller, PollOutcome
from bot.runtime.prepare import start_worker
from bot.shipped import shipped_file
from bot.sources.budget import plan as plan_budget
from bot.sources.http import HttpClient, HttpLimits
from bot.sources.parsepool import ParserPool
from bot.store import outbox_repo, processes_repo, queue_stats, rules_repo, sources_repo
from bot.store.db import open_store

if TYPE_CHECKING:  # chat, the HTTP endpoint and the scheduler are imported when used:
    # a cron `poll --once` needs none of them (start-up CPU, issue 21)
    from aiohttp import web
    from rich.console import Console

    from bot.chat.slack_http import SlackRequestGuard
    from bot.commands.handlers import Commands
    from bot.runtime.election import Election
    from bot.runtime.scheduler import Scheduler
    from bot.runtime.weekly import WeeklyPost

log = logging.getLogger(__name__)
DRAIN_PATIENCE = 5.0  # seconds a drain job waits for its destinations
HEARTBEAT_SECONDS = 15.0
LOCK_CHECK_SECONDS = 5.0  # a lock check that takes longer counts as a lost lock
# a standby that wins the chat lock starts chat only once the previous holder's heartbeat is
# this old: by then the holder has re-checked its lock and dropped chat (never two gateways)
TAKEOVER_AFTER = timedelta(seconds=2 * HEARTBEAT_SECONDS)


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


def _ping(session: Session) -> None:
    session.execute(text("SELECT 1"))


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


class App:
    """Owns the store, the HTTP client, the parser pool and the senders for one process."""

    def __init__(
        self,
        config: Config,
        *,
        console: Console | None = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.config = config
        self.console = console
        self.clock = clock
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self.engine: Engine | None = None
        self.sessions: sessionmaker[Session] | None = None
        self.http: HttpClient | None = None
        self.parsers: ParserPool | None = None
        self.poller: Poller | None = None
        self.outbox: OutboxWorker | None = None
        self.senders: dict[str, Sender] = {}
        self.summariser: Summariser | None = None
        self._tasks: set[asyncio.Task[list[PollOutcome]]] = set()
        self._in_flight = 0  # sources claimed by _tick and not yet done
        self._ticking = False  # a tick is claiming: the timer's and a batch's never overlap
        # while running: a finished batch claims the next at once, not at the next tick
        self._claim_on_finish = False
        self._drain_lock = asyncio.Lock()
        self._runner: web.AppRunner | None = None
        self._background: set[asyncio.Task[Any]] = set()
        self._chat_rules: list[Rule] = []
        self._rules_read_at = datetime.min.replace(tzinfo=UTC)
        self._chat_clients: list[Any] = []
        self._election: Election | None = None
        self._scheduler: Scheduler | None = None
        self.slack_app: Any = None
        self.slack_guard: SlackRequestGuard | None = None
        self._commands: Commands | None = None
        self._chat_started = False
        self._chat_platforms: list[str] = []  # shown by racewatch status: "slack:http", ...
        self.metrics = Metrics()
        self.server_port: int | None = None

    def open_store(self) -> None:
        self.engine, self.sessions = open_store(self.config.database_url)

    async def start(self) -> None:
        settings = self.config.settings
        if self.sessions is None:
            await asyncio.to_thread(self.open_store)
        assert self.sessions is not None
        registry = await asyncio.to_thread(load_org_registry, self.config)
        budget = plan_budget(
            self.config.sources,
            settings.poll.default_interval,
            has_token=bool(os.environ.get("HF_TOKEN")),
        )
        log.info("%s", budget.describe())
        with self.sessions.begin() as session:
            sources_repo.sync_sources(
                session, budget.sources, self.clock(), settings.poll.default_interval
            )
        poll = settings.poll
        self.http = HttpClient(
            HttpLimits(
                poll.connect_timeout,
                poll.read_timeout,
                poll.max_body,
                poll.max_redirects,
                poll.per_host,
                poll.host_delay,
            )
        )
        self.parsers = ParserPool(  # parse and classify across cores
            workers=min(2, os.cpu_count() or 1),
            timeout=poll.parse_timeout,
            initializer=start_worker,
            initargs=(registry,),
        )
        self.senders = self._build_senders()
        classifier = Classifier(registry)
        ingestor = Ingestor(
            classifier, self.config.rules, self.config.mutes, list(self.senders), poll.max_item_age
        )
        self.outbox = OutboxWorker(
            sessions=self.sessions,
            senders=self.senders,
            registry=registry,
            owner=self.owner,
            clock=self.clock,
            admin=settings.admin_destination,
            lease=settings.outbox_lease,
            roll_up_at=settings.roll_up_at,
            metrics=self.metrics,
            retry_for=settings.outbox_retry_for,
        )
        loop = asyncio.get_running_loop()

        def notify(text: str) -> None:
            assert self.outbox is not None
            asyncio.run_coroutine_threadsafe(self.outbox.tell_admin(text), loop)

        self.summariser = Summariser(settings.llm, self.sessions)
        self.poller = Poller(
            http=self.http,
            parsers=self.parsers,
            sessions=self.sessions,
            ingestor=ingestor,
            poll=poll,
            hub=settings.hub,
            owner=self.owner,
            clock=self.clock,
            notify=notify,
            metrics=self.metrics,
            gap=settings.gap,
            boards=board_resolver(self.config, registry, classifier.matcher),
        )
        await asyncio.to_thread(self.refresh_chat_rules)

    async def start_server(self) -> None:
        """racewatch's own HTTP endpoint, when enabled: Hugging Face webhooks."""
        server = self.config.settings.server
        if not server.enabled:
            return
        from aiohttp import web

        from bot.serving import bound_port
        from bot.sources import webhook

        assert self.poller is not None
        app = web.Application(client_max_size=webhook.MAX_BODY)
        secret = os.environ.get("HF_WEBHOOK_SECRET")
        receive = server.webhook if server.webhook is not None else bool(secret)
        if server.metrics:
            app.router.add_get("/metrics", self._metrics_page)
            app.router.add_get("/healthz", self._health_page)
        if self.slack_app is not None and self.slack_guard is not None:
            app.router.add_post("/slack/events", self._slack_events)
        if receive and secret:
            app.router.add_post(
                server.webhook_path,
                webhook.handler(
                    secret, self.config.settings.hub.huggingface_endpoint, self._pushed, self.clock
                ),
            )
        elif receive:
            log.error(
                "server.webhook is on but HF_WEBHOOK_SECRET is not set: Hugging Face webhooks "
                "are refused until it is (the secret you gave the webhook on huggingface.co)"
            )
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, server.host, server.port)
        try:
            await site.start()
        except OSError as exc:
            await self._runner.cleanup()
            self._runner = None
            why = "the port is taken" if exc.errno == errno.EADDRINUSE else str(exc)
            raise SetupError(
                f"cannot listen on {server.host}:{server.port} ({why}): set "
                "server.port (or RACEWATCH_SERVER__PORT) to a free port; each racewatch "
                "process on one machine needs its own"
            ) from None
        self.server_port = bound_port(self._runner) or server.port
        log.info(
            "listening on http://%s:%d%s",
            server.host,
            self.server_port,
            server.webhook_path if receive and secret else "",
        )

    async def _slack_events(self, request: web.Request) -> web.Response:
        """Slack HTTP mode: signature, timestamp and replay checked before Bolt sees it."""
        from aiohttp import web

        from bot.chat.slack_http import Verdict

        assert self.slack_guard is not None
        verdict = self.slack_guard.check(request.headers, await request.read())
        if verdict is Verdict.REFUSED:
            return web.Response(status=401, text="invalid request signature or timestamp")
        if verdict is Verdict.REPLAY:
            log.warning("ignored a replayed Slack request")
            return web.Response(status=200)
        from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request

        response = await self.slack_app.async_dispatch(await to_bolt_request(request))
        return await to_aiohttp_response(response)

    async def _metrics_page(self, request: web.Request) -> web.Response:
        from aiohttp import web

        body, content_type = self.metrics.render()
        return web.Response(body=body, headers={"Content-Type": content_type})

    async def _health_page(self, request: web.Request) -> web.Response:
        from aiohttp import web

        try:
            await asyncio.to_thread(self._in_session, _ping)
        except Exception as exc:
            return web.json_response(
                {"status": "unhealthy", "database": str(exc)[:200]}, status=503
            )
        return web.json_response({"status": "ok", "process": self.owner})

    async def _pushed(self, namespace: str, item: NewItem) -> bool:
        assert self.poller is not None
        taken = await self.poller.push(namespace, item)
        if taken:
            task = asyncio.create_task(self._drain())  # alert within seconds, not at the next tick
            self._background.add(task)
            task.add_done_callback(self._background.discard)
        return taken

    def _build_senders(self) -> dict[str, Sender]:
        return build_senders(self.config, self.console)

    async def poll_once(
        self,
        *,
        force: bool = False,
        on_claimed: Callable[[int], None] | None = None,
        on_done: Callable[[PollOutcome], None] | None = None,
    ) -> list[PollOutcome]:
        """One full cycle: every due source, including sources never polled (or every source
        with ``force``), then the outbox."""
        assert self.poller is not None and self.outbox is not None
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
        assert self.poller is not None
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
        if self.summariser is None or not self.summariser.enabled or task.cancelled():
            return
        alerted = [i for o in task.result() for i in o.alerted] if task.exception() is None else []
        if alerted:
            job = asyncio.create_task(self.summariser.summarise_items(alerted))
            self._background.add(job)
            job.add_done_callback(self._background.discard)

    async def _probe_destinations(self) -> None:
        """At start-up and on a schedule: a broken destination whose check passes again is
        sent to again (``racewatch destinations resume`` does it at once)."""
        assert self.outbox is not None
        try:
            await self.outbox.probe_broken()
        except Exception:
            log.exception("checking broken destinations failed; will try again")

    async def _drain(self) -> None:
        assert self.outbox is not None
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
        self._scheduler = scheduler
        self._schedule_digests(scheduler)
        self._schedule_weekly_post(scheduler)
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
            if self.outbox is not None:
                self.outbox.stopping = True  # finish the alert being sent, start no other
            await self._stop_tasks()
            try:
                async with asyncio.timeout(1.5):
                    await self._drain_lock.acquire()
                    if self.outbox is not None:
                        await self.outbox.settle()
            except TimeoutError:
                log.warning("an alert was still being sent; it will be retried on the next start")
            scheduler.shutdown(wait=False)

    def rules_in_force(self) -> tuple[list[Rule], list[Mute]]:
        """File rules and chat rules together (chat rules live in the database)."""
        return list(self.config.rules) + list(self._chat_rules), list(self.config.mutes)

    def refresh_chat_rules(self) -> None:
        """Re-read chat rules (after a chat change here, or periodically for other processes)."""
        if self.sessions is None or self.poller is None:
            return
        with self.sessions.begin() as session:
            self._chat_rules = rules_repo.chat_rules(session)
        rules, mutes = self.rules_in_force()
        self.poller.ingestor.rules, self.poller.ingestor.mutes = rules, mutes
        self._schedule_new_digests()

    def commands(self) -> Commands:
        """The command handlers (built once: they own the chat threads and rate limits)."""
        assert self.sessions is not None and self.outbox is not None
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
        """Connect to Slack (Socket Mode) and Discord (gateway) for slash commands, when their
        tokens are set and this process holds the role (one holder per group of processes)."""
        platforms = self.config.settings.platforms
        if not platforms.chat_commands or self.engine is None:
            return
        wants_slack = bool(os.environ.get("SLACK_BOT_TOKEN")) and (
            platforms.slack_mode == "http" or bool(os.environ.get("SLACK_APP_TOKEN"))
        )
        wants_discord = bool(os.environ.get("DISCORD_TOKEN"))
        if not (wants_slack or wants_discord):
            return
        from bot.chat.slack_http import SlackRequestGuard, require_signing_secret
        from bot.runtime.election import Election

        if wants_slack and platforms.slack_mode == "http":
            self.slack_guard = SlackRequestGuard(require_signing_secret(os.environ))
        if self._election is None:
            self._election = Election(self.engine, "chat")
        if not await asyncio.to_thread(self._election.try_acquire):
            log.info("another racewatch process answers chat commands; this one stands by")
            return
        several = self.engine.dialect.name == "postgresql"  # SQLite: one process only
        holder = await asyncio.to_thread(self._other_chat_holder) if several else None
        if holder is not None:
            log.info("%s may still answer chat; taking over once it has stepped down", holder)
            return
        commands = self.commands()
        self._chat_started = True
        if wants_slack:
            await self._start_slack(commands)
            self._chat_platforms.append(f"slack:{platforms.slack_mode}")
        if wants_discord:
            from bot.chat.discord_app import RaceBot, use_gateway
            from bot.delivery.discord_sender import use_api

            use_api(platforms.discord_api)
            use_gateway(platforms.discord_gateway)
            bot = RaceBot(commands, platforms.command, platforms.discord_admin_role)
            task = asyncio.create_task(
                bot.start(os.environ["DISCORD_TOKEN"]), name="discord-gateway"
            )
            self._background.add(task)
            self._chat_clients.append(bot)
            self._chat_platforms.append("discord")

    def _other_chat_holder(self) -> str | None:
        """Another process that said it holds chat less than TAKEOVER_AFTER ago, if any."""
        assert self.sessions is not None
        with self.sessions.begin() as session:
            status = processes_repo.status(session, self.clock())
        recent = self.clock() - TAKEOVER_AFTER
        for p in status["processes"]:  # type: ignore[attr-defined]
            if p["owner"] != self.owner and "chat" in p["roles"] and p["heartbeat_at"] > recent:
                return str(p["owner"])
        return None

    async def stop_chat(self) -> None:
        """Drop the chat connections at once (the chat lock is lost: a standby may take over)."""
        clients, self._chat_clients = self._chat_clients, []
        self._chat_started, self._chat_platforms = False, []
        for chat in clients:
            try:
                await chat.close()
            except Exception:
                log.warning("closing a chat connection failed", exc_info=True)

    async def _recheck_chat_lock(self) -> None:
        """The chat holder re-checks its lock every heartbeat; lost (or not answering within
        LOCK_CHECK_SECONDS), it drops chat before anything else."""
        if not self._chat_started or self._election is None:
            return
        try:
            held = await asyncio.wait_for(
                asyncio.to_thread(self._election.still_held), LOCK_CHECK_SECONDS
            )
        except Exception:
            held = False
        if not held:
            log.warning("lost the chat lock: dropping chat now; a standby process takes over")
            await self.stop_chat()

    async def _start_slack(self, commands: Commands) -> None:
        from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler

        from bot.chat.slack_app import SLACK_HOOKS, admin_checker
        from bot.chat.slack_app import build_app as build_slack_app
        from bot.delivery.slack_sender import web_client as slack_web_client

        platforms = self.config.settings.platforms
        client = slack_web_client(os.environ.get("SLACK_BOT_TOKEN"), platforms.slack_api)
        origins = [SLACK_HOOKS]
        if platforms.slack_api.rstrip("/") != "https://slack.com/api":
            # a Slack-compatible API the operator configured answers on its own host
            parts = urlsplit(platforms.slack_api)
            origins.append(f"{parts.scheme}://{parts.netloc}")
        app = build_slack_app(
            commands,
            signing_secret=os.environ.get("SLACK_SIGNING_SECRET"),
            client=client,
            command=platforms.command,
            is_admin=admin_checker(platforms.slack_admin_users, platforms.slack_admin_groups),
            response_origins=origins,
        )
        self.slack_app = app
        if platforms.slack_mode == "socket":
            handler = AsyncSocketModeHandler(app, os.environ["SLACK_APP_TOKEN"])
            await handler.connect_async()  # type: ignore[no-untyped-call]
            self._chat_clients.append(handler)
            log.info("Slack Socket Mode connected: /%s is live", platforms.command)

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
        assert self.poller is not None
        self.config = replace(self.config, rules=fresh.rules, mutes=fresh.mutes)
        self.poller.ingestor.rules, self.poller.ingestor.mutes = self.rules_in_force()
        log.info("rules reloaded: %d rules, %d mutes", len(fresh.rules), len(fresh.mutes))
        return True

    async def _heartbeat(self) -> None:
        """Tell the group this process lives, refresh the gauges, and take over chat if the
        process that held it is gone."""
        assert self.sessions is not None
        await self._recheck_chat_lock()
        roles = (
            ["chat", *self._chat_platforms]
            if self._election is not None and self._election.held and self._chat_started
            else []
        )

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
            if self._election is not None and not self._chat_started:
                await self.start_chat()  # fail-over: the previous holder's lock is free again
        except Exception:
            log.exception("heartbeat failed; will try again")

    def _in_session(self, fn: Callable[[Session], None]) -> None:
        assert self.sessions is not None
        with self.sessions.begin() as session:
            fn(session)

    def _schedule_new_digests(self) -> None:
        if self._scheduler is not None:
            self._schedule_digests(self._scheduler)

    def _schedule_digests(self, scheduler: Scheduler) -> None:
        """One cron job per rule that has a digest, or whose cap overflow needs one."""
        from bot.runtime.scheduler import add_cron_job

        for rule in self.rules_in_force()[0]:
            cron = rule.digest or (
                DEFAULT_DIGEST if rule.cap_per_hour or rule.cap_per_day else None
            )
            if cron is None:
                continue

            async def fire(name: str = rule.name) -> None:
                await self.send_digest(name)

            add_cron_job(scheduler, f"digest:{rule.name}", cron, rule.timezone, fire)

    def weekly_post(self) -> WeeklyPost:
        from bot.runtime.weekly import WeeklyPost

        assert self.engine is not None and self.sessions is not None and self.outbox is not None
        return WeeklyPost(
            engine=self.engine,
            sessions=self.sessions,
            senders=self.senders,
            registry=self.outbox.registry,
            settings=self.config.settings.state_of_the_race,
            clock=self.clock,
        )

    def _schedule_weekly_post(self, scheduler: Scheduler) -> None:
        report = self.config.settings.state_of_the_race
        if not report.enabled:
            return
        from bot.runtime.scheduler import add_cron_job

        async def fire() -> None:
            try:
                outcomes = await self.weekly_post().send()
            except Exception:
                log.exception("the weekly state-of-the-race post failed")
                return
            for destination, outcome in outcomes.items():
                log.info("weekly state-of-the-race post to %s: %s", destination, outcome)

        add_cron_job(scheduler, "state-of-the-race", report.cron, report.timezone, fire)

    async def send_digest(self, rule: str) -> int:
        from bot.runtime.election import Election

        assert self.outbox is not None and self.engine is not None
        once = Election(self.engine, f"digest:{rule}")  # one process of the group sends it
        if not await asyncio.to_thread(once.try_acquire):
            return 0
        try:
            return await self._send_digest_held(rule)
        finally:
            await asyncio.to_thread(once.release)

    async def _send_digest_held(self, rule: str) -> int:
        assert self.outbox is not None
        async with self._drain_lock:
            try:
                return await self.outbox.send_digest(rule)
            except Exception:
                log.exception("sending the digest for rule %s failed; it stays held", rule)
                return 0

    async def send_all_digests(self) -> int:
        """Every held alert now, whatever the schedules say (``racewatch digest --now``)."""
        assert self.sessions is not None
        with self.sessions.begin() as session:
            rules = outbox_repo.held_rules(session)
        return sum([await self.send_digest(rule) for rule in sorted(rules)])

    async def _stop_tasks(self) -> None:
        if self._tasks:
            _done, pending = await asyncio.wait(self._tasks, timeout=2.5)
            for task in pending:
                task.cancel()  # its lease expires; the source is polled again next start
            if pending:
                await asyncio.wait(pending, timeout=1.0)

    async def close(self) -> None:
        for chat in self._chat_clients:
            try:
                await chat.close()
            except Exception:
                log.warning("closing a chat connection failed", exc_info=True)
        if self._commands is not None:
            self._commands.close()
        if self._election is not None:
            await asyncio.to_thread(self._election.release)
        if self.sessions is not None:
            try:
                await asyncio.to_thread(
                    self._in_session, lambda s: processes_repo.forget(s, self.owner)
                )
            except Exception:
                log.warning("could not remove this process from the process table", exc_info=True)
        if self.summariser is not None:
            await self.summariser.close()
        if self._runner is not None:
            await self._runner.cleanup()
        for sender in self.senders.values():
            await sender.close()
        if self.http is not None:
            await self.http.close()
        if self.parsers is not None:
            await asyncio.to_thread(self.parsers.close)
        if self.engine is not None:
            self.engine.dispose()
