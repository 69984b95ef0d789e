"""The chat host: which process of a group answers chat commands, and fail-over.

One process holds the chat role (an advisory lock, :mod:`bot.runtime.election`) and keeps
the Slack Socket Mode and Discord gateway connections. The holder re-checks its lock every
heartbeat and drops chat at once when it is lost; a standby that wins the lock starts chat
only once the previous holder's heartbeat is old enough that it has stepped down, so a
group never runs two gateways.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from bot.config.settings import PlatformSettings
from bot.runtime.server import SlackEndpoint
from bot.store import processes_repo

if TYPE_CHECKING:  # chat loads when this process answers it (a cron poll never does)
    from bot.chat.slack_http import SlackRequestGuard
    from bot.commands.handlers import Commands
    from bot.runtime.election import Election

log = logging.getLogger(__name__)
HEARTBEAT_SECONDS = 15.0
LOCK_CHECK_SECONDS = 5.0  # a lock check that takes longer counts as a lost lock
# a standby that wins the chat lock starts chat only once the previous holder's heartbeat is
# this old: by then the holder has re-checked its lock and dropped chat (never two gateways)
TAKEOVER_AFTER = timedelta(seconds=2 * HEARTBEAT_SECONDS)


class ChatHost:
    def __init__(
        self,
        platforms: PlatformSettings,
        *,
        engine: Engine,
        sessions: sessionmaker[Session],
        owner: str,
        clock: Callable[[], datetime],
        commands: Callable[[], Commands],
        background: set[asyncio.Task[Any]],
    ) -> None:
        self.platforms = platforms
        self.engine = engine
        self.sessions = sessions
        self.owner = owner
        self.clock = clock
        self.commands = commands
        self.background = background  # the app's tasks that nobody awaits
        self.slack_app: Any = None
        self.slack_guard: SlackRequestGuard | None = None
        self.started = False
        self.connected: list[str] = []  # shown by racewatch status: "slack:http", ...
        self._clients: list[Any] = []
        self._election: Election | None = None

    def slack_endpoint(self) -> SlackEndpoint | None:
        """What the HTTP server routes /slack/events to (Slack HTTP mode), if anything."""
        if self.slack_app is None or self.slack_guard is None:
            return None
        return SlackEndpoint(self.slack_app, self.slack_guard)

    def roles(self) -> list[str]:
        """This process's roles for the process table: chat, and what it is connected to."""
        held = self._election is not None and self._election.held and self.started
        return ["chat", *self.connected] if held else []

    async def start(self) -> None:
        """Connect to Slack (Socket Mode) and Discord (gateway) for slash commands, when their
        tokens are set and this process holds the role (one holder per group of processes)."""
        platforms = self.platforms
        if not platforms.chat_commands:
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
        holder = await asyncio.to_thread(self._other_holder) if several else None
        if holder is not None:
            log.info("%s may still answer chat; taking over once it has stepped down", holder)
            return
        commands = self.commands()
        self.started = True
        if wants_slack:
            await self._start_slack(commands)
            self.connected.append(f"slack:{platforms.slack_mode}")
        if wants_discord:
            from bot.chat.discord_app import RaceBot, use_gateway
            from bot.delivery.discord_sender import use_api

            use_api(platforms.discord_api)
            use_gateway(platforms.discord_gateway)
            bot = RaceBot(commands, platforms.command, platforms.discord_admin_role)
            task = asyncio.create_task(
                bot.start(os.environ["DISCORD_TOKEN"]), name="discord-gateway"
            )
            self.background.add(task)
            self._clients.append(bot)
            self.connected.append("discord")

    async def fail_over(self) -> None:
        """After a heartbeat: a standby takes over once the previous holder's lock is free."""
        if self._election is not None and not self.started:
            await self.start()

    def _other_holder(self) -> str | None:
        """Another process that said it holds chat less than TAKEOVER_AFTER ago, if any."""
        with self.sessions.begin() as session:
            status = processes_repo.status(session, self.clock())
        recent = self.clock() - TAKEOVER_AFTER
        for p in status["processes"]:  # type: ignore[attr-defined]
            if p["owner"] != self.owner and "chat" in p["roles"] and p["heartbeat_at"] > recent:
                return str(p["owner"])
        return None

    async def stop(self) -> None:
        """Drop the chat connections at once (the chat lock is lost: a standby may take over)."""
        clients, self._clients = self._clients, []
        self.started, self.connected = False, []
        for chat in clients:
            try:
                await chat.close()
            except Exception:
                log.warning("closing a chat connection failed", exc_info=True)

    async def recheck(self) -> None:
        """The chat holder re-checks its lock every heartbeat; lost (or not answering within
        LOCK_CHECK_SECONDS), it drops chat before anything else."""
        if not self.started or self._election is None:
            return
        try:
            held = await asyncio.wait_for(
                asyncio.to_thread(self._election.still_held), LOCK_CHECK_SECONDS
            )
        except Exception:
            held = False
        if not held:
            log.warning("lost the chat lock: dropping chat now; a standby process takes over")
            await self.stop()

    async def _start_slack(self, commands: Commands) -> None:
        from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler

        from bot.chat.slack_app import SLACK_HOOKS, admin_checker
        from bot.chat.slack_app import build_app as build_slack_app
        from bot.delivery.slack_sender import web_client as slack_web_client

        platforms = self.platforms
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
            self._clients.append(handler)
            log.info("Slack Socket Mode connected: /%s is live", platforms.command)

    async def close(self) -> None:
        """Close the connections and give the role back (another process may take it)."""
        for chat in self._clients:
            try:
                await chat.close()
            except Exception:
                log.warning("closing a chat connection failed", exc_info=True)
        if self._election is not None:
            await asyncio.to_thread(self._election.release)
