"""The handlers behind ``/race``: each turns an invocation into a neutral Reply.

They know nothing of Discord or Slack. A ``UserError`` carries text meant for the user;
anything else becomes a short generic answer in the adapter, with the details in the log.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from pydantic import ValidationError
from sqlalchemy import CursorResult, delete, func, select
from sqlalchemy.orm import Session, sessionmaker

from bot.attribution.registry import Registry
from bot.attribution.vocab import KINDS, flag
from bot.commands import chart
from bot.commands.invocation import Invocation, usage
from bot.commands.reply import Line, Reply, UserError
from bot.config.settings import SourceSpec
from bot.config.validate import problems_from
from bot.config.yamlsrc import SourceText
from bot.explain import explain, find_item, to_classification
from bot.rules.match import run_rules
from bot.rules.model import Mute, Rule
from bot.runtime.ingest import facts_for
from bot.sources.netguard import is_public
from bot.store import queries, sources_repo, stats
from bot.store.schema import ChatRule, Classification, Delivery, Item, Source

log = logging.getLogger(__name__)
WINDOWS = {"7d": 7, "30d": 30, "90d": 90, "365d": 365}
ADMIN_ONLY = {
    ("watch", "add"),
    ("watch", "remove"),
    ("sources", "add"),
    ("sources", "remove"),
    ("sources", "resume"),
    ("digest", "now"),
}


def parse_fields(words: list[str]) -> dict[str, Any]:
    """``country=CN kind=model_release,benchmark params_min=7`` -> a rule's ``when`` mapping."""
    out: dict[str, Any] = {}
    for word in words:
        key, sep, value = word.partition("=")
        if not sep or not key:
            raise UserError(f"'{word[:60]}' should look like field=value, e.g. country=CN")
        values = [v for v in value.split(",") if v]
        out[key.strip()] = values if len(values) > 1 else value
    return out


class Commands:
    def __init__(
        self,
        *,
        sessions: sessionmaker[Session],
        registry: Registry,
        rules: Callable[[], tuple[list[Rule], list[Mute]]],
        max_age: float,
        destinations: list[str],
        clock: Callable[[], datetime],
        command: str = "race",
        rules_changed: Callable[[], None] = lambda: None,
        send_digests: Callable[[], Any] | None = None,
    ) -> None:
        self.sessions, self.registry, self.rules, self.max_age = sessions, registry, rules, max_age
        self.destinations, self.clock, self.command = destinations, clock, command
        self.rules_changed, self.send_digests = rules_changed, send_digests

    async def run(self, call: Invocation) -> Reply:
        action = call.args[0].lower() if call.args else ""
        if (call.sub, action) in ADMIN_ONLY and not call.is_admin:
            log.info("refused %s %s for non-admin user %s", call.sub, action, call.user)
            return Reply(
                "Not allowed",
                [
                    Line(
                        "Sorry, only racewatch admins can change rules, sources "
                        "and digests. Reading is open to everyone."
                    )
                ],
                ephemeral=True,
            )
        handler = getattr(self, f"do_{call.sub}", None)
        if handler is None:
            raise UserError(usage(self.command))
        result: Reply = await handler(call.args, call.user)
        return result

    async def _db(self, fn: Callable[[Session], Any]) -> Any:
        def work() -> Any:
            with self.sessions.begin() as session:
                return fn(session)

        return await asyncio.to_thread(work)

    # -- reading ------------------------------------------------------------------------
    def _orgs(self, name: str) -> list[str]:
        hits = self.registry.search(name)
        if not hits:
            raise UserError(f"No organisation matches '{name[:60]}'. Try /{self.command} org NAME.")
        top = hits[0]
        return [
            o.id
            for o in self.registry.orgs.values()
            if self.registry.root(o).id == self.registry.root(top).id
        ]

    @staticmethod
    def _line(row: queries.Row) -> Line:
        when = f"{row.published_at:%d %b}"
        return Line(
            f"{flag(row.country)} {row.title} · {KINDS.get(row.kind, row.kind)} · {when} "
            f"· #{row.id}",
            row.url,
        )

    async def do_latest(self, args: list[str], user: str) -> Reply:
        country = org = kind = None
        n = 5
        for word in args:
            low = word.lower().replace("-", "_")
            if word.isdigit():
                n = max(1, min(20, int(word)))
            elif len(word) == 2 and word.isalpha():
                country = word.upper()
            elif low in KINDS:
                kind = low
            else:
                org = word
        org_ids = self._orgs(org) if org else None
        rows = await self._db(
            lambda s: queries.latest(s, country=country, orgs=org_ids, kind=kind, limit=n)
        )
        what = " ".join(filter(None, [country, org, kind and KINDS[kind]])) or "all countries"
        if not rows:
            return Reply(f"Latest: {what}", [Line("Nothing stored matches yet.")])
        return Reply(f"Latest: {what}", [self._line(r) for r in rows])

    async def do_search(self, args: list[str], user: str) -> Reply:
        text = " ".join(args).strip()
        if not text:
            raise UserError(usage(self.command, "search"))
        rows = await self._db(lambda s: queries.search(s, text, limit=10))
        return Reply(f"Search: {text[:80]}", [self._line(r) for r in rows] or [Line("No matches.")])

    async def do_gap(self, args: list[str], user: str) -> Reply:
        window = args[0].lower() if args else "30d"
        if window not in WINDOWS:
            raise UserError(f"'{window[:20]}' is not a window. {usage(self.command, 'gap')}")
        days = WINDOWS[window]
        now = self.clock()
        weeks, series = await self._db(lambda s: stats.weekly(s, now, min(days, 182)))
        # the chart draws while the database counts (SQLite lets go of the GIL as it works)
        board, png = await asyncio.gather(
            self._db(lambda s: stats.scoreboard(s, now, days)),
            asyncio.to_thread(
                chart.weekly_chart, weeks, series, f"Weekly releases, last {len(weeks)} weeks"
            ),
        )
        lines = []
        for line in board.lines:
            change = line.releases - line.previous
            leading = ", ".join(f"{self._name(o)} {n}" for o, n in line.top_orgs)
            lines.append(
                Line(
                    f"{flag(line.country) if line.country != 'other' else '🌐'} {line.country}: "
                    f"{line.releases} releases ({change:+d} vs previous {days} days), "
                    f"{line.open_share:.0%} open weights"
                    + (f"; leading: {leading}" if leading else "")
                )
            )
        for country, (rank, model) in sorted(board.best_rank.items()):
            lines.append(Line(f"{flag(country)} best on LMArena: #{rank} {model}"))
        return Reply(
            f"The gap, last {days} days ({board.span})",
            lines,
            image=png,
            image_name=f"gap-{window}.png",
        )

    def _name(self, org_id: str) -> str:
        org = self.registry.get(org_id)
        return org.name if org else org_id

    async def do_org(self, args: list[str], user: str) -> Reply:
        if not args:
            raise UserError(usage(self.command, "org"))
        hits = self.registry.search(" ".join(args))
        if not hits:
            raise UserError(f"No organisation matches '{' '.join(args)[:60]}'.")
        org = hits[0]
        root = self.registry.root(org)
        ids = self._orgs(org.id)
        rows = await self._db(lambda s: queries.org_recent(s, ids, 5))
        head = [
            Line(
                f"{flag(org.country)} {org.name} ({org.country})"
                + (f", part of {root.name}" if root is not org else "")
                + (
                    f" · also: {', '.join([*org.aliases, *org.products][:6])}"
                    if org.aliases or org.products
                    else ""
                )
            )
        ]
        return Reply(
            org.name, head + ([self._line(r) for r in rows] or [Line("No releases stored yet.")])
        )

    async def do_why(self, args: list[str], user: str) -> Reply:
        if not args:
            raise UserError(usage(self.command, "why"))
        rules, mutes = self.rules()

        def work(session: Session) -> Reply:
            item = find_item(session, args[0])
            if item is None:
                raise UserError(f"No stored item matches '{args[0][:80]}'.")
            result = explain(session, item, self.registry, rules, mutes, self.max_age)
            lines = []
            for heading, body in result.sections:
                lines.append(Line(f"{heading}:"))
                lines += [Line(f"  {text}") for text in body]
            return Reply(f"Why: {item.title[:120]}", lines, ephemeral=True)

        reply: Reply = await self._db(work)
        return reply

    # -- rules ---------------------------------------------------------------------------
    def _validate(self, name: str, data: dict[str, Any]) -> Rule:
        try:
            rule = Rule.model_validate(data)
        except ValidationError as exc:
            problems = problems_from(exc, SourceText("chat", data), Rule)
            raise UserError(
                "That rule has problems:\n"
                + "\n".join(
                    f"• {p.where}: {p.message}" + (f" ({p.hint})" if p.hint else "")
                    for p in problems
                )
            ) from None
        unknown = [d for d in rule.notify if d not in self.destinations]
        if unknown:
            raise UserError(
                f"Unknown destination {', '.join(unknown)}; "
                f"configured: {', '.join(self.destinations)}"
            )
        return rule

    async def do_watch(self, args: list[str], user: str) -> Reply:
        action = args[0].lower() if args else "list"
        if action == "list":
            rules, mutes = self.rules()
            chat = {r.name for r in await self._db(lambda s: list(s.scalars(select(ChatRule))))}
            lines = [
                Line(f"{'💬' if r.name in chat else '📄'} {r.name}: {self._describe(r)}")
                for r in rules
            ]
            lines += [Line(f"🔇 {m.name}") for m in mutes]
            return Reply("Watch rules (📄 file, 💬 chat)", lines or [Line("No rules.")])
        if action == "add":
            if len(args) < 3:
                raise UserError(usage(self.command, "watch"))
            name, fields = args[1], parse_fields(args[2:])
            actions = {
                k: fields.pop(k)
                for k in list(fields)
                if k in Rule.model_fields and k not in ("name", "when")
            }
            data = {"name": name, "when": fields or None, **actions}
            rule = self._validate(name, data)
            existing, _ = self.rules()
            if any(r.name == name for r in existing):
                raise UserError(
                    f"A rule named '{name}' exists already; remove it first or pick another name."
                )
            body = rule.model_dump(mode="json", by_alias=True, exclude_defaults=True)

            def save(session: Session) -> None:
                session.add(
                    ChatRule(name=name, body=body, created_by=user[:120], created_at=self.clock())
                )

            await self._db(save)
            self.rules_changed()
            return Reply("Rule added", [Line(f"{name}: {self._describe(rule)}")], ephemeral=True)
        if action == "remove":
            if len(args) < 2:
                raise UserError(usage(self.command, "watch"))
            gone = await self._db(
                lambda s: _deleted(s.execute(delete(ChatRule).where(ChatRule.name == args[1])))
            )
            if not gone:
                raise UserError(
                    f"No chat rule named '{args[1][:60]}' "
                    "(rules from files are changed in the file)."
                )
            self.rules_changed()
            return Reply("Rule removed", [Line(args[1])], ephemeral=True)
        if action == "test":
            rule = self._validate("test", {"name": "test", "when": parse_fields(args[1:]) or None})
            return await self._dry_run(rule)
        raise UserError(usage(self.command, "watch"))

    @staticmethod
    def _describe(rule: Rule) -> str:
        when = rule.when.model_dump(by_alias=True, exclude_defaults=True) if rule.when else {}
        text = ", ".join(f"{k}={v}" for k, v in when.items()) or "everything"
        return text + (f" → {', '.join(rule.notify)}" if rule.notify else "")

    async def _dry_run(self, rule: Rule) -> Reply:
        since = self.clock() - timedelta(days=7)

        def work(session: Session) -> list[Line]:
            hits = []
            rows = session.execute(
                select(Item, Classification, Source.name)
                .join(Classification, Classification.item_id == Item.id)
                .join(Source, Source.id == Item.source_id)
                .where(Item.fetched_at >= since)
                .order_by(Item.published_at.desc())
                .limit(5000)
            )
            for item, cls, source in rows:
                facts = facts_for(item, to_classification(cls), source, self.registry)
                if run_rules([rule], [], facts, item.fetched_at, 10 * 365 * 86400)[0].matched:
                    hits.append(
                        Line(f"{flag(cls.primary_country)} {item.title} · #{item.id}", item.url)
                    )
            return hits

        hits: list[Line] = await self._db(work)
        return Reply(
            f"Would fire on {len(hits)} items from the last 7 days", hits[:15], ephemeral=True
        )

    # -- sources -------------------------------------------------------------------------
    async def do_sources(self, args: list[str], user: str) -> Reply:
        action = args[0].lower() if args else "list"
        now = self.clock()
        if action == "list":
            rows = await self._db(sources_repo.list_sources)
            lines = [
                Line(
                    f"{'✅' if r.status == 'active' else '⏸️'} {r.name} ({r.type}) "
                    f"· {r.items_seen} items" + (f" · {r.last_error[:80]}" if r.last_error else "")
                )
                for r in rows
            ]
            return Reply(f"{len(rows)} sources", lines)
        if action in ("status", "resume", "remove") and len(args) < 2:
            raise UserError(usage(self.command, "sources"))
        if action == "status":
            row = await self._db(lambda s: s.scalar(select(Source).where(Source.name == args[1])))
            if row is None:
                raise UserError(f"No source named '{args[1][:60]}'.")
            return Reply(
                row.name,
                [
                    Line(f"{row.type} {row.url}"),
                    Line(
                        f"status {row.status}"
                        + (f": {row.paused_reason}" if row.paused_reason else "")
                    ),
                    Line(
                        f"last success {row.last_success_at or 'never'}; "
                        f"failures in a row {row.failure_count}"
                    ),
                    Line(f"last error {row.last_error or 'none'}"),
                    Line(f"{row.items_seen} items seen"),
                ],
            )
        if action == "resume":
            resumed = await self._db(lambda s: sources_repo.resume(s, args[1], now))
            if not resumed:
                raise UserError(f"No paused source named '{args[1][:60]}'.")
            return Reply("Resumed", [Line(", ".join(resumed))], ephemeral=True)
        if action == "remove":

            def remove(session: Session) -> int:
                row = session.scalar(select(Source).where(Source.name == args[1]))
                if row is None:
                    raise UserError(f"No source named '{args[1][:60]}'.")
                if row.origin != "chat":
                    raise UserError(
                        f"'{args[1]}' comes from the configuration file; change it there."
                    )
                row.status = "removed"
                return 1

            await self._db(remove)
            return Reply("Source removed", [Line(args[1])], ephemeral=True)
        if action == "add":
            if len(args) < 3:
                raise UserError(usage(self.command, "sources"))
            return await self._add_source(args[1], args[2], now)
        raise UserError(usage(self.command, "sources"))

    async def _add_source(self, name: str, url: str, now: datetime) -> Reply:
        try:
            spec = SourceSpec(name=name, type="feed", url=url)
        except ValidationError as exc:
            raise UserError(
                "That source has problems: "
                + "; ".join(str(e["msg"]).removeprefix("Value error, ") for e in exc.errors())
            ) from None
        await _refuse_private(url)

        def add(session: Session) -> None:
            if session.scalar(
                select(Source).where(Source.name == name, Source.status != "removed")
            ):
                raise UserError(f"A source named '{name}' exists already.")
            session.add(
                Source(
                    name=name,
                    type="feed",
                    url=url,
                    spec=spec.model_dump(mode="json", exclude_none=True),
                    origin="chat",
                    trusted=False,
                    status="active",
                    interval_s=900.0,
                    next_poll_at=now,
                )
            )

        await self._db(add)
        return Reply(
            "Source added",
            [Line(f"{name}: {url} (first poll is a silent baseline)")],
            ephemeral=True,
        )

    # -- digests and help ----------------------------------------------------------------
    async def do_digest(self, args: list[str], user: str) -> Reply:
        if args and args[0].lower() == "now":
            if self.send_digests is None:
                raise UserError("Digests can only be sent by a running racewatch.")
            sent = await self.send_digests()
            return Reply("Digest sent", [Line(f"{sent} held alerts sent")], ephemeral=True)
        held = await self._db(
            lambda s: s.scalar(
                select(func.count()).select_from(Delivery).where(Delivery.status == "held")
            )
        )
        return Reply(
            "Digests",
            [Line(f"{held} alerts are held for digests. /{self.command} digest now sends them.")],
        )

    async def do_help(self, args: list[str], user: str) -> Reply:
        return Reply(
            "racewatch", [Line(line) for line in usage(self.command).splitlines()], ephemeral=True
        )


def _deleted(result: Any) -> int:
    return int(result.rowcount or 0) if isinstance(result, CursorResult) else 0


async def _refuse_private(url: str) -> None:
    """Refuse a chat-added URL whose host is not on the public internet (checked again at
    every fetch, so a later DNS change cannot get round it)."""
    import socket
    from urllib.parse import urlsplit

    host = urlsplit(url).hostname or ""
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, None)
    except OSError:
        raise UserError(f"Cannot resolve '{host}'. Check the address.") from None
    addresses = {info[4][0] for info in infos if info[0] in (socket.AF_INET, socket.AF_INET6)}
    if not addresses or not all(is_public(str(a)) for a in addresses):
        raise UserError(
            f"'{host}' is not a public internet address; racewatch only fetches public sites."
        )
