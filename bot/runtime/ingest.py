"""Ingest: new items -> classify -> story -> rules -> outbox, in one transaction per source.

The rule match and its delivery rows are written in the same transaction as the item, so a
crash can never leave a matched item without its delivery, or deliver an unstored item.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from sqlalchemy.orm import Session

from bot.attribution.classify import Classification, Classifier, Subject
from bot.attribution.registry import Registry
from bot.items import HubFacts, NewItem
from bot.rules.facts import Facts
from bot.rules.match import run_rules
from bot.rules.model import Mute, Rule
from bot.rules.timing import quiet_until
from bot.store import items_repo
from bot.store.items_repo import Queued
from bot.store.schema import Delivery, Item, Story
from bot.store.sources_repo import DueSource
from bot.stories.keys import release_key

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class IngestReport:
    new_items: int
    matched: int
    queued: int
    alerted: tuple[int, ...] = ()  # items with a matching rule: worth an LLM summary


def subject_for(item: Item | NewItem, source: DueSource) -> Subject:
    hub = (
        item.hub
        if isinstance(item.hub, HubFacts) or item.hub is None
        else HubFacts.from_dict(item.hub)
    )
    host = (urlsplit(source.url).hostname or "") if source.url.startswith("http") else ""
    source_type = "arxiv" if host.endswith("arxiv.org") else source.type
    return Subject(
        title=item.title,
        summary=item.summary,
        url=item.url,
        source_url=source.url if host else None,
        source_type=source_type,
        hub=hub,
        github_repo=source.spec.get("repo"),
    )


def facts_for(item: Item, cls: Classification, source_name: str, registry: Registry) -> Facts:
    keys: set[str] = set()
    for org_id in cls.orgs:
        org = registry.get(org_id)
        if org is None:
            continue
        for o in (org, registry.root(org)):
            keys |= {o.id.lower(), o.name.lower()}
    hub = item.hub or {}
    return Facts(
        title=item.title,
        summary=item.summary,
        source=source_name,
        language=item.language,
        country=cls.primary_country,
        countries=frozenset(cls.countries),
        org_keys=frozenset(keys),
        kind=cls.kind,
        modalities=frozenset(cls.modalities),
        open_weights=cls.open_weights,
        licence=cls.licence,
        params=cls.params,
        downloads=hub.get("downloads"),
        likes=hub.get("likes"),
        published_at=item.published_at,
    )


def disposition(rule: Rule, sent_last_hour: int, sent_last_day: int, now: datetime) -> Queued:
    """How a new alert is queued: now; after quiet hours; or held for the rule's digest
    (digest rules, and a cap's overflow). High priority ignores quiet hours."""
    if rule.mode == "digest":
        return Queued("held", now, rule.priority_rank, rule.name)
    if (rule.cap_per_hour and sent_last_hour >= rule.cap_per_hour) or (
        rule.cap_per_day and sent_last_day >= rule.cap_per_day
    ):
        return Queued("held", now, rule.priority_rank, rule.name)
    quiet = None if rule.priority == "high" else quiet_until(now, rule.quiet_hours, rule.timezone)
    return Queued("pending", quiet or now, rule.priority_rank)


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
        self._story_tokens: dict[int, frozenset[str]] = {}  # headline tokens by story id
        self._alerts: dict[tuple[int, str], Delivery] = {}  # this batch's stories' sent alerts
        self._names = frozenset(  # lower-case, as release_key compares them
            n.lower()
            for o in self.registry.orgs.values()
            for n in (*o.products, *o.aliases)
            if n.isascii()
        )

    def _route(
        self,
        session: Session,
        item: Item,
        story: Story,
        rule: Rule,
        destination: str,
        now: datetime,
        new_story: bool = False,
    ) -> int:
        """Queue the story's alert for one destination, or arm an update of the one sent."""
        alert = None if new_story else self._alerts.get((story.id, destination))
        if alert is not None:
            items_repo.arm_update(session, alert, item, now)
            return 0
        hour = day = 0
        if rule.cap_per_hour or rule.cap_per_day:
            hour = items_repo.count_recent_alerts(
                session, rule.name, destination, now - timedelta(hours=1)
            )
            day = items_repo.count_recent_alerts(
                session, rule.name, destination, now - timedelta(days=1)
            )
        how = disposition(rule, hour, day, now)
        return int(
            items_repo.queue_alert(
                session, item, story, rule.name, destination, rule.mention, now, how
            )
        )

    def ingest(
        self,
        session: Session,
        source: DueSource,
        items: Sequence[NewItem],
        now: datetime,
        baseline: bool,
    ) -> IngestReport:
        stored = items_repo.insert_new_items(session, source.id, items, now, baseline)
        if not stored:
            return IngestReport(0, 0, 0)
        items_repo.lock_story_assignment(session)
        matched = queued = 0
        alerted: list[int] = []
        by_rule = {r.name: r for r in self.rules}
        # pass 1: classify every item and give each a story; one flush writes them all
        placed = []
        with session.no_autoflush:
            stories = items_repo.StoryAssigner(session, source.id, now, stored, self._story_tokens)
            for item in stored:
                cls = self.classifier.classify(subject_for(item, source))
                items_repo.save_classification(session, item.id, cls)
                key_text = item.hub["repo_id"].split("/", 1)[1] if item.hub else item.title
                story, new_story, _how = stories.assign(item, release_key(key_text, self._names))
                placed.append((item, cls, story, new_story))
        session.flush()
        if baseline:
            return IngestReport(len(stored), 0, 0)
        # pass 2: rules, and the outbox rows, with the alerts already sent read in one query
        self._alerts = items_repo.alerts_for(session, [s.id for _, _, s, new in placed if not new])
        with session.no_autoflush:
            for item, cls, story, new_story in placed:
                facts = facts_for(item, cls, source.name, self.registry)
                for result in run_rules(self.rules, self.mutes, facts, now, self.max_item_age):
                    if not result.matched:
                        continue
                    matched += 1
                    rule = by_rule[result.rule]
                    items_repo.record_match(session, item, story, rule.name, now)
                    if not alerted or alerted[-1] != item.id:
                        alerted.append(item.id)
                    for destination in rule.notify or self.destinations:
                        queued += self._route(
                            session, item, story, rule, destination, now, new_story
                        )
        return IngestReport(len(stored), matched, queued, tuple(alerted))
