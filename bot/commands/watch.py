"""Watch rules from chat: list (everyone); add, remove and dry runs (admins)."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

from pydantic import ValidationError
from sqlalchemy.orm import Session

from bot.alerts.card import AlertCard, build_card
from bot.attribution.vocab import flag
from bot.commands.context import CommandContext
from bot.commands.explain import to_classification
from bot.commands.reply import Line, Preview, Reply, UserError
from bot.commands.requests import (
    Caller,
    WatchAdd,
    WatchList,
    WatchPreview,
    WatchRemove,
    WatchTest,
)
from bot.items import HubFacts
from bot.located_yaml.validate import problems_from
from bot.located_yaml.yamlsrc import SourceText
from bot.rules.facts import Facts, facts_for
from bot.rules.known import Known, unknown_values
from bot.rules.match import run_rules
from bot.rules.misses import closest_misses
from bot.rules.model import Rule
from bot.rules.regexes import RegexBudget
from bot.store import queries, rules_repo
from bot.store.schema import Classification as ClassRow
from bot.store.schema import Item

DRY_RUN_DAYS = 7
PREVIEW_DAYS = 30
ANY_AGE = 10 * 365 * 86400.0


def _flow(value: Any) -> str:
    """A condition's value as YAML flow style: ``CN``, ``[CN, US]``, ``{kind: policy}``."""
    if isinstance(value, list | tuple):
        parts = [_flow(v) for v in value]
        return parts[0] if len(parts) == 1 else f"[{', '.join(parts)}]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_flow(v)}" for k, v in value.items()) + "}"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def describe(rule: Rule) -> str:
    when = rule.when.model_dump(by_alias=True, exclude_defaults=True) if rule.when else {}
    text = ", ".join(f"{k}={_flow(v)}" for k, v in when.items()) or "everything"
    return text + (f" → {', '.join(rule.notify)}" if rule.notify else "")


class WatchCommands:
    def __init__(self, ctx: CommandContext) -> None:
        self.ctx = ctx

    def validate(self, data: dict[str, Any]) -> Rule:
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
        return self._destinations(rule)

    async def checked(self, data: dict[str, Any]) -> Rule:
        """:meth:`validate`, then the organisations and sources the rule names are checked
        against the registry and every source racewatch has (files' and chat's)."""
        rule = self.validate(data)
        sources = await self.ctx.db(queries.source_names)
        registry = self.ctx.registry
        known = Known.of(((o.id, o.name, o.aliases) for o in registry.orgs.values()), sources)
        bad = unknown_values(rule, known)
        if bad:
            raise UserError(
                "That rule has problems:\n" + "\n".join(f"• {b.message} ({b.hint})" for b in bad)
            )
        return rule

    def _destinations(self, rule: Rule) -> Rule:
        unknown = [d for d in rule.notify if d not in self.ctx.destinations]
        if unknown:
            raise UserError(
                f"Unknown destination {', '.join(unknown)}; "
                f"configured: {', '.join(self.ctx.destinations)}"
            )
        return rule

    async def list(self, request: WatchList) -> Reply:
        rules, mutes = self.ctx.rules()
        chat = await self.ctx.db(rules_repo.chat_rule_names)
        lines = [Line(f"{'💬' if r.name in chat else '📄'} {r.name}: {describe(r)}") for r in rules]
        lines += [Line(f"🔇 {m.name}") for m in mutes]
        return Reply("Watch rules (📄 file, 💬 chat)", lines or [Line("No rules.")])

    async def add(self, request: WatchAdd, caller: Caller) -> Reply:
        ctx = self.ctx
        fields = dict(request.fields)
        actions = {k: fields.pop(k) for k in list(fields) if k in Rule.model_fields and k != "when"}
        actions.pop("name", None)
        rule = await self.checked({"name": request.rule, "when": fields or None, **actions})
        if any(r.name == request.rule for r in ctx.rules()[0]):
            raise UserError(
                f"A rule named '{request.rule}' exists already; remove it first or pick "
                "another name."
            )
        body = rule.model_dump(mode="json", by_alias=True, exclude_defaults=True)

        def save(session: Session) -> None:
            if rules_repo.count_chat_rules(session, caller.workspace) >= ctx.max_chat_rules:
                raise UserError(
                    f"This workspace has {ctx.max_chat_rules} chat rules, the most allowed "
                    "(platforms.max_chat_rules); remove one first."
                )
            rules_repo.add_chat_rule(
                session, request.rule, body, f"{caller.workspace}/{caller.user}", ctx.clock()
            )

        try:
            await ctx.db(save)
        except rules_repo.RuleExists:
            raise UserError(
                f"A rule named '{request.rule}' was just added by someone else; pick another name."
            ) from None
        await ctx.work.run(ctx.rules_changed)  # it reads the store: not on the loop
        return Reply("Rule added", [Line(f"{request.rule}: {describe(rule)}")], ephemeral=True)

    async def remove(self, request: WatchRemove) -> Reply:
        gone = await self.ctx.db(lambda s: rules_repo.remove_chat_rule(s, request.rule))
        if not gone:
            raise UserError(
                f"No chat rule named '{request.rule[:60]}' (rules from files are changed in "
                "the file)."
            )
        await self.ctx.work.run(self.ctx.rules_changed)
        return Reply("Rule removed", [Line(request.rule)], ephemeral=True)

    async def test(self, request: WatchTest) -> Reply:
        """A dry run over the last week's items, under one overall deadline."""
        ctx = self.ctx
        if not request.fields:
            raise UserError("Give conditions to test, e.g. country=CN kind=model_release.")
        rule = await self.checked({"name": "test", "when": request.fields})
        since = ctx.clock() - timedelta(days=DRY_RUN_DAYS)
        deadline = ctx.dry_run_seconds

        tested: list[tuple[str, Facts]] = []

        def work(session: Session) -> tuple[list[Line], int, int]:
            started = time.monotonic()
            budget = RegexBudget(per_batch=deadline)
            rows = queries.recent_classified(session, since)
            hits: list[Line] = []
            done = 0
            for item, cls, source in rows:
                if time.monotonic() - started > deadline:
                    break
                facts = facts_for(item, to_classification(cls), source, ctx.registry)
                tested.append((f"#{item.id} {item.title[:60]}", facts))
                done += 1
                if run_rules([rule], [], facts, item.fetched_at, ANY_AGE, budget)[0].matched:
                    hits.append(
                        Line(f"{flag(cls.primary_country)} {item.title} · #{item.id}", item.url)
                    )
            return hits, done, len(rows)

        hits, done, total = await ctx.db_heavy(work)
        title = f"Would fire on {len(hits)} items from the last {DRY_RUN_DAYS} days"
        if done < total:
            title = f"Would fire on {len(hits)} of the first {done} of {total} items (time limit)"
        if not hits:  # which condition kept it from firing, and what came closest
            misses = await ctx.work.run_heavy(lambda: closest_misses(rule.when, tested))
            hits = [Line(line) for line in misses.lines()]
        return Reply(title, hits[:15], ephemeral=True)

    async def preview(self, request: WatchPreview) -> Reply:
        """The newest item of the last ``PREVIEW_DAYS`` days that ``request.rule`` matches,
        as the alert it would post; or, when nothing matched, what came closest."""
        ctx = self.ctx
        rules = ctx.rules()[0]
        rule = next((r for r in rules if r.name == request.rule), None)
        if rule is None:
            names = ", ".join(r.name for r in rules[:12]) or "none yet"
            raise UserError(f"No rule named '{request.rule[:60]}'. Rules in force: {names}.")
        since = ctx.clock() - timedelta(days=PREVIEW_DAYS)
        deadline = ctx.dry_run_seconds
        tested: list[tuple[str, Facts]] = []

        def work(session: Session) -> tuple[Item, ClassRow, str] | None:
            started = time.monotonic()
            budget = RegexBudget(per_batch=deadline)
            for item, cls, source in queries.recent_classified(session, since):  # newest first
                if time.monotonic() - started > deadline:
                    break
                facts = facts_for(item, to_classification(cls), source, ctx.registry)
                if run_rules([rule], [], facts, item.fetched_at, ANY_AGE, budget)[0].matched:
                    return item, cls, source
                tested.append((f"#{item.id} {item.title[:60]}", facts))
            return None

        found = await ctx.db_heavy(work)
        destinations = tuple(rule.notify or ctx.destinations)
        if found is None:
            title = f"{rule.name} matched no item of the last {PREVIEW_DAYS} days"
            if not tested:
                note = "No items are stored yet: a preview needs at least one poll."
                return Reply(title, [Line(note)], ephemeral=True)
            misses = await ctx.work.run_heavy(lambda: closest_misses(rule.when, tested))
            return Reply(title, [Line(line) for line in misses.lines()][:15], ephemeral=True)
        item, cls, source = found
        card = self.card(rule, item, cls, source)
        how = f"as a digest ({rule.digest})" if rule.mode == "digest" else "at once"
        lines = [
            Line(f"Newest match: #{item.id} from {source}", item.url),
            Line(f"Would go to {', '.join(destinations) or 'no destination'}, {how}."),
            Line("Nothing was sent: this preview is only for you."),
        ]
        return Reply(
            f"Preview of {rule.name}",
            lines,
            ephemeral=True,
            preview=Preview(card, destinations),
        )

    def card(self, rule: Rule, item: Item, cls: ClassRow, source: str) -> AlertCard:
        """The card the outbox would build for ``item`` under ``rule``."""
        return build_card(
            story_id=item.story_id or 0,
            item_id=item.id,
            title=item.title,
            url=item.url,
            summary_text=item.summary,
            llm_summary=item.summary_llm,
            source=source,
            published_at=item.published_at,
            hub=HubFacts.from_dict(item.hub),
            cls=to_classification(cls),
            registry=self.ctx.registry,
            rule=rule.name,
            mentions=tuple(rule.mention),
        )
