"""Local stand-ins for the Discord and Slack APIs: they record every payload and can answer
429, 500, refuse, or drop the connection, so the real clients can be tested against them."""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from bot.serving import start_local


@dataclass
class Fault:
    status: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class FakePlatform:
    """Common plumbing: an aiohttp app on an ephemeral port with a queue of faults."""

    posts: list[dict[str, Any]] = field(default_factory=list)  # accepted messages, in order
    faults: list[Fault | str] = field(default_factory=list)  # next answers: a Fault or "drop"
    hits: int = 0
    lose_answers: int = 0  # the next N accepted posts are stored, then the connection drops
    base: str = ""
    _runner: web.AppRunner | None = None
    _ids: Iterator[int] = field(default_factory=lambda: itertools.count(1_300_000_000_000_000_001))

    def routes(self, app: web.Application) -> None:
        raise NotImplementedError

    async def start(self) -> None:
        app = web.Application()
        self.routes(app)
        self._runner, port = await start_local(app)
        self.base = f"http://127.0.0.1:{port}"

    async def stop(self) -> None:
        if self._runner:
            await self._runner.cleanup()

    def lost(self, request: web.Request, answer: web.StreamResponse) -> web.StreamResponse:
        """The answer to a stored post, unless it is to be lost on the way back."""
        if self.lose_answers <= 0:
            return answer
        self.lose_answers -= 1
        assert request.transport is not None
        request.transport.close()
        return web.Response(status=500)

    def fault(self, request: web.Request) -> web.StreamResponse | None:
        self.hits += 1
        if not self.faults:
            return None
        fault = self.faults.pop(0)
        if fault == "drop":
            assert request.transport is not None
            request.transport.close()
            return web.Response(status=500)
        assert isinstance(fault, Fault)
        return json_response(fault.body, status=fault.status, headers=fault.headers)


@dataclass
class FakeDiscord(FakePlatform):
    channels: set[str] = field(default_factory=lambda: {"111111111111111111"})
    nonces: dict[str, str] = field(default_factory=dict)
    interactions: list[dict[str, Any]] = field(default_factory=list)  # callbacks and follow-ups
    unknown: list[str] = field(default_factory=list)  # requests no route matched
    history_reads: int = 0
    answer_delay: float = 0.0  # seconds between storing a channel message and answering
    synced: list[str] = field(default_factory=list)  # application commands registered

    def routes(self, app: web.Application) -> None:
        app.router.add_get("/api/v10/users/@me", self._me)
        app.router.add_get("/api/v10/oauth2/applications/@me", self._application)
        app.router.add_get("/api/v10/channels/{channel}", self._channel)
        app.router.add_post("/api/v10/channels/{channel}/messages", self._message)
        app.router.add_get("/api/v10/channels/{channel}/messages", self._history)
        app.router.add_post("/api/v10/webhooks/{id}/{token}", self._webhook)
        app.router.add_get("/api/v10/webhooks/{id}/{token}", self._webhook_info)
        app.router.add_post("/api/v10/interactions/{id}/{token}/callback", self._callback)
        app.router.add_put("/api/v10/applications/{app}/commands", self._sync)
        app.router.add_route("*", "/{tail:.*}", self._unknown)

    @property
    def api(self) -> str:
        return self.base + "/api/v10"

    async def _me(self, request: web.Request) -> web.Response:
        if request.headers.get("Authorization") != "Bot good-token":
            return json_response({"message": "401: Unauthorized", "code": 0}, status=401)
        return json_response(
            {
                "id": "42",
                "username": "racewatch",
                "discriminator": "0",
                "avatar": None,
                "bot": True,
                "flags": 0,
            }
        )

    async def _application(self, request: web.Request) -> web.Response:
        owner = {"id": "1", "username": "owner", "discriminator": "0", "avatar": None}
        return json_response(
            {
                "id": "42",
                "name": "racewatch",
                "icon": None,
                "description": "",
                "bot_public": True,
                "bot_require_code_grant": False,
                "owner": owner,
                "team": None,
                "verify_key": "00" * 32,
                "flags": 0,
                "summary": "",
            }
        )

    async def _channel(self, request: web.Request) -> web.Response:
        channel = request.match_info["channel"]
        if channel not in self.channels:
            return json_response({"message": "Unknown Channel", "code": 10003}, status=404)
        return json_response(
            {
                "id": channel,
                "type": 0,
                "guild_id": "7",
                "name": "ai-race",
                "position": 0,
                "permission_overwrites": [],
                "nsfw": False,
                "parent_id": None,
                "topic": None,
                "last_message_id": None,
                "rate_limit_per_user": 0,
            }
        )

    def _stored(self, payload: dict[str, Any], channel: str) -> web.Response:
        nonce = payload.get("nonce")
        if nonce and payload.get("enforce_nonce") and nonce in self.nonces:
            message_id = self.nonces[nonce]  # Discord's own dedupe of a resend
        else:
            message_id = str(next(self._ids))
            self.posts.append({"channel": channel, "id": message_id, **payload})
            if nonce:
                self.nonces[str(nonce)] = message_id
        return json_response(self._message_json(message_id, channel, payload))

    async def _history(self, request: web.Request) -> web.Response:
        """GET channel messages, newest first; webhook posts land in the same channel."""
        self.history_reads += 1
        if request.headers.get("Authorization") != "Bot good-token":
            return json_response({"message": "401: Unauthorized", "code": 0}, status=401)
        refused = self.fault(request)
        if refused is not None:
            return refused
        channel = request.match_info["channel"]
        limit = int(request.query.get("limit", "50"))
        shown = [p for p in self.posts if p["channel"] in (channel, "webhook")][::-1][:limit]
        return json_response([self._message_json(p["id"], p["channel"], p) for p in shown])

    def _message_json(self, message_id: str, channel: str, payload: dict[str, Any]) -> Any:
        nonce = payload.get("nonce")
        hooked = {"webhook_id": "1"} if channel == "webhook" else {}
        return {
            **hooked,
            "id": message_id,
            # a follow-up's message lives in the interaction's channel (a numeric id)
            "channel_id": channel if channel.isdigit() else "111111111111111111",
            "type": 0,
            "content": payload.get("content") or "",
            "author": {
                "id": "42",
                "username": "racewatch",
                "discriminator": "0",
                "avatar": None,
                "bot": True,
            },
            "attachments": [],
            "embeds": payload.get("embeds") or [],
            "mentions": [],
            "mention_roles": [],
            "pinned": False,
            "mention_everyone": False,
            "tts": False,
            "timestamp": "2026-11-25T12:00:00+00:00",
            "edited_timestamp": None,
            "flags": 0,
            "components": [],
            "nonce": nonce,
        }

    async def _message(self, request: web.Request) -> web.StreamResponse:
        if request.headers.get("Authorization") != "Bot good-token":
            return json_response({"message": "401: Unauthorized", "code": 0}, status=401)
        refused = self.fault(request)
        if refused is not None:
            return refused
        channel = request.match_info["channel"]
        if channel not in self.channels:
            return json_response({"message": "Missing Access", "code": 50001}, status=403)
        if request.content_type.startswith("multipart/"):  # a message with files
            form = await request.post()
            payload = dict(json.loads(str(form["payload_json"])))
            payload["files"] = {
                part.filename: part.file.read()
                for name, part in form.items()
                if name != "payload_json" and hasattr(part, "file")
            }
        else:
            payload = await request.json()
        answer = self._stored(payload, channel)
        if self.answer_delay:
            await asyncio.sleep(self.answer_delay)
        return self.lost(request, answer)

    async def _sync(self, request: web.Request) -> web.Response:
        commands = await request.json()
        self.synced = [c["name"] for c in commands]
        return json_response(
            [
                {
                    **c,
                    "id": str(99 + i),
                    "application_id": request.match_info["app"],
                    "version": "1",
                    "default_member_permissions": None,
                }
                for i, c in enumerate(commands)
            ]
        )

    async def _unknown(self, request: web.Request) -> web.Response:
        self.unknown.append(f"{request.method} {request.path_qs}")
        return json_response({"message": "404: Not Found", "code": 0}, status=404)

    async def _callback(self, request: web.Request) -> web.Response:
        body = await _body(request)
        self.interactions.append(body)
        flags = (body.get("data") or {}).get("flags", 0)
        return json_response(
            {
                "interaction": {
                    "id": request.match_info["id"],
                    "type": 2,
                    "response_message_loading": body.get("type") == 5,
                    "response_message_ephemeral": bool(flags & 64),
                },
                "resource": None,
            }
        )

    async def _webhook(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] == "itoken":  # an interaction follow-up
            payload = await _body(request)
            self.interactions.append(payload)
            return self._stored(payload, "interaction")
        refused = self.fault(request)
        if refused is not None:
            return refused
        assert request.query.get("wait") == "true"
        return self.lost(request, self._stored(await _body(request), "webhook"))

    async def _webhook_info(self, request: web.Request) -> web.Response:
        return json_response(
            {
                "id": request.match_info["id"],
                "type": 1,
                "name": "racewatch",
                "channel_id": "111111111111111111",
                "guild_id": "7",
                "token": request.match_info["token"],
                "avatar": None,
            }
        )


@dataclass
class FakeSlack(FakePlatform):
    channels: set[str] = field(default_factory=lambda: {"C0RACE"})
    scopes: str = "chat:write,commands,files:write"
    delay: float = 0.0  # seconds between accepting a message and answering: a crash window
    history_reads: int = 0
    hold: asyncio.Event | None = None  # when set, posts wait for it before answering
    history_error: str | None = None  # e.g. "missing_scope": history and replies refused
    group_reads: int = 0  # usergroups.users.list calls
    responses: list[dict[str, Any]] = field(default_factory=list)  # via response_url
    files: dict[str, bytes] = field(default_factory=dict)
    shared: list[dict[str, Any]] = field(default_factory=list)

    def routes(self, app: web.Application) -> None:
        app.router.add_post("/api/chat.postMessage", self._post)
        app.router.add_post("/api/auth.test", self._auth)
        app.router.add_route("*", "/api/conversations.info", self._info)
        app.router.add_post("/respond/{id}", self._respond)
        app.router.add_post("/api/files.getUploadURLExternal", self._upload_url)
        app.router.add_post("/upload/{file}", self._upload)
        app.router.add_post("/api/files.completeUploadExternal", self._complete)
        app.router.add_route("*", "/api/usergroups.users.list", self._group)
        app.router.add_route("*", "/api/conversations.history", self._history)
        app.router.add_route("*", "/api/conversations.replies", self._replies)

    @property
    def api(self) -> str:
        return self.base + "/api/"

    async def _args(self, request: web.Request) -> dict[str, Any]:
        if request.method == "GET":
            return dict(request.query)
        if request.content_type == "application/json":
            return dict(await request.json())
        return {k: v for k, v in (await request.post()).items()}

    def _authorised(self, request: web.Request) -> bool:
        return request.headers.get("Authorization") == "Bearer xoxb-good"

    async def _post(self, request: web.Request) -> web.StreamResponse:
        if not self._authorised(request):
            return json_response({"ok": False, "error": "invalid_auth"})
        refused = self.fault(request)
        if refused is not None:
            return refused
        args = await self._args(request)
        if args.get("channel") not in self.channels:
            return json_response({"ok": False, "error": "channel_not_found"})
        ts = f"1764072000.{len(self.posts) + 1:06d}"
        self.posts.append({"ts": ts, **args})
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.hold is not None:
            await self.hold.wait()
        return self.lost(
            request,
            json_response(
                {
                    "ok": True,
                    "channel": args["channel"],
                    "ts": ts,
                    "message": {"text": args.get("text", "")},
                }
            ),
        )

    async def _respond(self, request: web.Request) -> web.Response:
        self.responses.append(await request.json())
        return web.Response(text="ok")

    async def _upload_url(self, request: web.Request) -> web.Response:
        args = await self._args(request)
        file_id = f"F{len(self.files) + 1}"
        self.files[file_id] = b""
        return json_response(
            {
                "ok": True,
                "upload_url": f"{self.base}/upload/{file_id}",
                "file_id": file_id,
                "filename": args.get("filename"),
            }
        )

    async def _upload(self, request: web.Request) -> web.Response:
        data = await request.read()
        if request.content_type.startswith("multipart/"):
            form = await request.post()
            part = next(iter(form.values()))
            data = part.file.read() if hasattr(part, "file") else bytes(str(part), "utf-8")
        self.files[request.match_info["file"]] = data
        return web.Response(text="OK - 200")

    async def _complete(self, request: web.Request) -> web.Response:
        args = await self._args(request)
        self.shared.append(args)
        files = args.get("files")
        listed = json.loads(files) if isinstance(files, str) else files or []
        return json_response(
            {"ok": True, "files": [{"id": f["id"], "title": f.get("title")} for f in listed]}
        )

    async def _group(self, request: web.Request) -> web.Response:
        self.group_reads += 1
        args = await self._args(request)
        return json_response(
            {"ok": True, "users": ["UADMIN2"] if args.get("usergroup") == "SADMINS" else []}
        )

    async def _auth(self, request: web.Request) -> web.Response:
        if not self._authorised(request):
            return json_response({"ok": False, "error": "invalid_auth"})
        return json_response(
            {"ok": True, "user_id": "U1", "team": "race"}, headers={"x-oauth-scopes": self.scopes}
        )

    async def _info(self, request: web.Request) -> web.Response:
        args = await self._args(request)
        if args.get("channel") not in self.channels:
            return json_response({"ok": False, "error": "channel_not_found"})
        return json_response(
            {"ok": True, "channel": {"id": args["channel"], "name": "ai-race", "is_member": True}}
        )

    async def _history(self, request: web.Request) -> web.Response:
        """Top-level messages only, as Slack does: thread replies need conversations.replies."""
        self.history_reads += 1
        if self.history_error:
            return json_response({"ok": False, "error": self.history_error})
        messages = [
            {"ts": p["ts"], "text": p.get("text"), "metadata": _json(p.get("metadata"))}
            for p in reversed(self.posts)
            if not p.get("thread_ts")
        ]
        return json_response({"ok": True, "messages": messages})

    async def _replies(self, request: web.Request) -> web.Response:
        self.history_reads += 1
        if self.history_error:
            return json_response({"ok": False, "error": self.history_error})
        thread = (await self._args(request)).get("ts")
        messages = [
            {"ts": p["ts"], "text": p.get("text"), "metadata": _json(p.get("metadata"))}
            for p in self.posts
            if p["ts"] == thread or p.get("thread_ts") == thread
        ]
        return json_response({"ok": True, "messages": messages})


async def _body(request: web.Request) -> dict[str, Any]:
    """A JSON body, or the ``payload_json`` part of a multipart one (messages with files)."""
    if request.content_type.startswith("multipart/"):
        form = await request.post()
        return dict(json.loads(str(form["payload_json"])))
    return dict(await request.json())


def json_response(
    data: Any, status: int = 200, headers: dict[str, str] | None = None
) -> web.Response:
    """Exactly ``application/json``, as the platforms send it (discord.py checks the header
    for equality, so aiohttp's default ``; charset=utf-8`` would not do)."""
    return web.Response(
        body=json.dumps(data).encode(),
        status=status,
        headers={**(headers or {}), "Content-Type": "application/json"},
    )


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value
