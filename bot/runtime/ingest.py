"""Ingest: the orchestration of one source's batch of new items, stage by stage.

1. **Attribution** (``bot/attribution``): items arrive classified from the parser processes
   (see ``prepare``); hub items, parsed in this process, are classified here.
2. **Rules, judged** (``bot/rules``): :meth:`Ingestor.judge` runs every rule before the
   transaction opens.
3. **Stories** (``bot/stories``): inside the transaction, each unseen item gets its release
   key and joins a story or starts one (:class:`bot.store.stories_repo.StoryAssigner`).
4. **Write** (``bot/store``): items and classifications, one statement per table.
5. **Routing** (``bot/alerts/routing``): each matched rule's destinations get the story's
   alert row, now, after quiet hours or held for a digest, or re-arm the update of an alert
   already sent; the rows are written by ``bot/store``, and ``bot/delivery`` sends them.

Rules are judged before the transaction starts
(:meth:`Ingestor.judge`), so no regex ever runs while a database lock is held; only an item
classified here is judged inside, under the same per-item and per-batch regex budget. Each
table is written once per source batch. The rule match and its delivery rows are written in
the same transaction as the item, so a crash can never leave a matched item without its
delivery, or deliver an unstored item.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from bot.alerts.routing import Routing
from bot.attribution.classify import Classification, Classifier
from bot.items import NewItem
from bot.rules.facts import facts_for
from bot.rules.match import RuleResult, run_rules
from bot.rules.model import Mute, Rule
from bot.rules.regexes import RegexBudget
from bot.runtime.prepare import SourceFacts, subject_for
from bot.store import items_repo, stories_repo
from bot.store.items_repo import StoredItem
from bot.store.sources_repo import DueSource
from bot.stories.release import families_of, item_release_key, model_kind

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class IngestReport:
    new_items: int
    matched: int
    queued: int
    alerted: tuple[int, ...] = ()  # items with a matching rule: worth an LLM summary


@dataclass
class Verdicts:
    """Rule verdicts by guid, and the regex time budget of the batch they were judged in."""

    results: dict[str, list[RuleResult]] = field(default_factory=dict)
    budget: RegexBudget = field(default_factory=RegexBudget)


def backfill_of(source: DueSource) -> int:
    """How many of the first poll's newest items go through the rules (``backfill: N``)."""
    try:
        return max(0, int(source.spec.get("backfill") or 0))
    except (TypeError, ValueError):
        return 0


def newest_guids(items: Sequence[StoredItem], count: int) -> frozenset[str]:
    """The guids of the ``count`` newest items (undated ones count as oldest)."""
    if count <= 0:
        return frozenset()
    oldest = datetime.min.replace(tzinfo=UTC)
    dated = sorted(items, key=lambda i: i.published_at or oldest, reverse=True)
    return frozenset(i.new.guid for i in dated[:count])


class Ingestor:
    def __init__(
        self,
        classifier: Classifier,
        rules: Sequence[Rule],
        mutes: Sequence[Mute],
        destinations: Sequence[str],
        max_item_age: float,
    ) -> None:
        self.classifier = classifier
        self.registry = classifier.registry
        self.rules = list(rules)
        self.mutes = list(mutes)
        self.destinations = list(destinations)
        self.max_item_age = max_item_age
        self._recent = stories_repo.RecentStories()  # headlines of recent stories
        self.families = families_of(self.registry)

    def root_org(self, cls: Classification) -> str | None:
        org = self.registry.get(cls.primary_org)
        return self.registry.root(org).id if org else None

    def judge(
        self,
        source: DueSource,
        items: Sequence[NewItem],
        classified: dict[str, Classification],
        now: datetime,
        *,
        classify_missing: bool = False,
    ) -> Verdicts:
        """Every rule's verdict for each classified item, by guid: call it before the
        transaction, so rules never run under a database lock.

        With ``classify_missing`` (hub items, which no parser process classified), items
        without a classification are classified here first and added to ``classified``."""
        verdicts = Verdicts()
        about = SourceFacts.of(source)
        for item in items:
            cls = classified.get(item.guid)
            if cls is None and classify_missing:
                cls = classified[item.guid] = self.classifier.classify(subject_for(item, about))
            if cls is not None:
                facts = facts_for(item, cls, source.name, self.registry)
                verdicts.results[item.guid] = run_rules(
                    self.rules, self.mutes, facts, now, self.max_item_age, verdicts.budget
                )
        if verdicts.budget.skipped:
            log.warning(
                "%s: %d regex searches stopped or skipped (time budget of %.1f s per batch)",
                source.name,
                verdicts.budget.skipped,
                verdicts.budget.per_batch,
            )
        return verdicts

    def ingest(
        self,
        session: Session,
        source: DueSource,
        items: Sequence[NewItem],
        now: datetime,
        baseline: bool,
        classified: Mapping[str, Classification] | None = None,
        verdicts: Verdicts | None = None,
    ) -> IngestReport:
        """Store a source's new items and queue their alerts, in the caller's transaction.

        ``classified`` holds classifications made in the parser processes, by guid; any
        item without one is classified here. ``verdicts`` holds the rules' verdicts judged
        before the transaction; any item without one is judged here."""
        fresh = items_repo.unseen_items(session, source.id, items) if items else []
        if not fresh:
            return IngestReport(0, 0, 0)
        stories_repo.lock_story_assignment(session)
        # pass 1: classify every item and give each a story; then one write per table
        about = SourceFacts.of(source)
        found = [
            (classified or {}).get(item.new.guid)
            or self.classifier.classify(subject_for(item, about))
            for item in fresh
        ]
        orgs = [self.root_org(cls) for cls in found]
        keys = [
            item_release_key(
                item.title,
                item.hub,
                org,
                self.registry,
                self.families,
                announces=cls.kind == "model_release",
            )
            for item, org, cls in zip(fresh, orgs, found, strict=True)
        ]
        found = [model_kind(cls, key) for cls, key in zip(found, keys, strict=True)]
        stories = stories_repo.StoryAssigner(session, source.id, now, fresh, keys, self._recent)
        placed = []
        for item, cls, key, org in zip(fresh, found, keys, orgs, strict=True):
            # a community GGUF of Qwen3 joins the Qwen3 story, but is not the release: it
            # never starts the release's story (the gap counts a story by its first item)
            _story, new_story, _how = stories.assign(item, key, org, may_start=cls.release)
            placed.append((item, cls, new_story))
        backfilled = newest_guids(fresh, backfill_of(source)) if baseline else frozenset()
        items_repo.write_batch(
            session, fresh, [cls for _, cls, _ in placed], now, baseline, backfilled
        )
        if baseline and not backfilled:
            return IngestReport(len(fresh), 0, 0)
        # pass 2: rules, and the outbox rows, with the alerts already sent read in one query
        sent = items_repo.alerts_for(session, [i.story_id for i, _, new in placed if not new])
        routing = Routing(session, sent)
        matches: list[dict[str, object]] = []
        alerted: list[int] = []
        by_rule = {r.name: r for r in self.rules}
        verdicts = verdicts if verdicts is not None else Verdicts()
        for item, cls, new_story in placed:
            if baseline and item.new.guid not in backfilled:
                continue
            # a backfilled item is judged as if it had just appeared: no age limit
            results = None if baseline else verdicts.results.get(item.new.guid)
            if results is None:
                facts = facts_for(item, cls, source.name, self.registry)
                max_age = math.inf if baseline else self.max_item_age
                results = run_rules(self.rules, self.mutes, facts, now, max_age, verdicts.budget)
            for result in results:
                if result.rule not in by_rule:  # the rules changed since they were judged
                    continue
                if not result.matched:
                    continue
                rule = by_rule[result.rule]
                matches.append(
                    {
                        "item_id": item.id,
                        "story_id": item.story_id,
                        "rule_name": rule.name,
                        "matched_at": now,
                    }
                )
                if not alerted or alerted[-1] != item.id:
                    alerted.append(item.id)
                for destination in rule.notify or self.destinations:
                    routing.route(item, rule, destination, now, new_story)
        items_repo.record_matches(session, matches)
        queued = items_repo.queue_alerts(session, routing.rows) + routing.updates
        return IngestReport(len(fresh), len(matches), queued, tuple(alerted))
