"""racewatch's own HTTP endpoint: Hugging Face webhooks, Slack events, /metrics and /healthz.

The server only routes: a pushed hub item goes to the callback the composition root gives
it, and a Slack request, once its signature is checked, to the chat host's Bolt app.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import os
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

from bot.config.settings import ServerSettings
from bot.errors import SetupError
from bot.items import NewItem
from bot.metrics import Metrics

if TYPE_CHECKING:  # aiohttp.web and the Slack guard load when the server starts
    from aiohttp import web

    from bot.chat.slack_http import SlackRequestGuard

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SlackEndpoint:
    """Slack HTTP mode: the Bolt app, and the guard that checks each request before it."""

    app: Any
    guard: SlackRequestGuard


class HttpServer:
    """Serves the endpoint while started; ``port`` is the port it listens on (0 = any)."""

    def __init__(
        self,
        settings: ServerSettings,
        *,
        hub_endpoint: str,
        sessions: sessionmaker[Session],
        owner: str,
        metrics: Metrics,
        pushed: Callable[[str, NewItem], Awaitable[bool]],
        slack: Callable[[], SlackEndpoint | None],
        clock: Callable[[], datetime],
    ) -> None:
        self.settings = settings
        self.hub_endpoint = hub_endpoint
        self.sessions = sessions
        self.owner = owner
        self.metrics = metrics
        self.pushed = pushed
        self.slack = slack
        self.clock = clock
        self.port: int | None = None
        self._runner: web.AppRunner | None = None
        self._slack: SlackEndpoint | None = None

    async def start(self) -> None:
        """Listen, when enabled; a taken port is a :class:`SetupError` that says what to do."""
        server = self.settings
        if not server.enabled:
            return
        from aiohttp import web

        from bot.serving import bound_port
        from bot.sources import webhook

        await self.close()  # started again (after Slack HTTP mode was set up): one listener
        app = web.Application(client_max_size=webhook.MAX_BODY)
        secret = os.environ.get("HF_WEBHOOK_SECRET")
        receive = server.webhook if server.webhook is not None else bool(secret)
        if server.metrics:
            app.router.add_get("/metrics", self._metrics_page)
            app.router.add_get("/healthz", self._health_page)
        self._slack = self.slack()
        if self._slack is not None:
            app.router.add_post("/slack/events", self._slack_events)
        if receive and secret:
            app.router.add_post(
                server.webhook_path,
                webhook.handler(secret, self.hub_endpoint, self.pushed, self.clock),
            )
        elif receive:
            log.error(
                "server.webhook is on but HF_WEBHOOK_SECRET is not set: Hugging Face webhooks "
                "are refused until it is (the secret you gave the webhook on huggingface.co)"
            )
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, server.host, server.port)
        try:
            await site.start()
        except OSError as exc:
            await runner.cleanup()
            why = "the port is taken" if exc.errno == errno.EADDRINUSE else str(exc)
            raise SetupError(
                f"cannot listen on {server.host}:{server.port} ({why}): set "
                "server.port (or RACEWATCH_SERVER__PORT) to a free port; each racewatch "
                "process on one machine needs its own"
            ) from None
        self._runner = runner
        self.port = bound_port(runner) or server.port
        log.info(
            "listening on http://%s:%d%s",
            server.host,
            self.port,
            server.webhook_path if receive and secret else "",
        )

    async def close(self) -> None:
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()

    async def _slack_events(self, request: web.Request) -> web.Response:
        """Slack HTTP mode: signature, timestamp and replay checked before Bolt sees it."""
        from aiohttp import web

        from bot.chat.slack_http import Verdict

        assert self._slack is not None  # the route exists only with an endpoint
        verdict = self._slack.guard.check(request.headers, await request.read())
        if verdict is Verdict.REFUSED:
            return web.Response(status=401, text="invalid request signature or timestamp")
        if verdict is Verdict.REPLAY:
            log.warning("ignored a replayed Slack request")
            return web.Response(status=200)
        from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request

        response = await self._slack.app.async_dispatch(await to_bolt_request(request))
        return await to_aiohttp_response(response)

    async def _metrics_page(self, request: web.Request) -> web.Response:
        from aiohttp import web

        body, content_type = self.metrics.render()
        return web.Response(body=body, headers={"Content-Type": content_type})

    async def _health_page(self, request: web.Request) -> web.Response:
        from aiohttp import web

        try:
            await asyncio.to_thread(self._ping)
        except Exception as exc:
            return web.json_response(
                {"status": "unhealthy", "database": str(exc)[:200]}, status=503
            )
        return web.json_response({"status": "ok", "process": self.owner})

    def _ping(self) -> None:
        with self.sessions.begin() as session:
            session.execute(text("SELECT 1"))
