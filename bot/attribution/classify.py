"""Attribution: which organisations an item is about, their countries, and why we think so."""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field

from bot.attribution.hub import HubJudge, HubVerdict
from bot.attribution.kinds import KindResult, classify_kind
from bot.attribution.matcher import Context, Matcher, Mention
from bot.attribution.registry import Org, Registry
from bot.attribution.vocab import stored_licence
from bot.items import HubFacts

W_HUB, W_GITHUB, W_DOMAIN, W_TITLE, W_SUBJECT, W_SUMMARY = 10.0, 8.0, 4.0, 3.0, 2.0, 1.0
W_REPEAT = 0.5  # a second mention of the same organisation in one field adds little
W_WEAK_TITLE = 2.0  # "China", "US": enough to be involved, not to outweigh a named subject
W_INVOLVED = 1.0  # a hub upload's uploader or base: named among the orgs, not a country


@dataclass(frozen=True)
class Subject:
    """What classification looks at: an item's text, links and facts, and its source."""

    title: str
    summary: str = ""
    url: str | None = None
    source_url: str | None = None
    source_type: str = "feed"
    hub: HubFacts | None = None
    github_repo: str | None = None


@dataclass(frozen=True)
class Classification:
    primary_country: str | None
    countries: tuple[str, ...]
    primary_org: str | None
    orgs: tuple[str, ...]
    kind: str
    modalities: tuple[str, ...]
    open_weights: str
    licence: str | None
    params: float | None
    confidence: float
    reasons: tuple[str, ...]
    derivative_of: str | None = None  # set only when the item re-publishes another's model
    derivative: str | None = None  # quantized | adapter | merge | finetune | reupload
    base_model: str | None = None
    uploader: str | None = None  # the hub namespace that published it

    @property
    def release(self) -> bool:
        """False for a derivative that only re-publishes someone else's model."""
        return self.derivative_of is None


@dataclass
class _Tally:
    scores: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    reasons: list[str] = field(default_factory=list)
    strongest: float = 0.0
    subject: str | None = None  # the organisation a headline starts with

    def add(self, org_id: str, weight: float, reason: str | None) -> None:
        self.scores[org_id] += weight
        if weight > self.strongest:
            self.strongest = weight
        if reason and reason not in self.reasons:
            self.reasons.append(reason)


_VERSION_AFTER = re.compile(r"[- ]?(?:[vVkKmM]?\d|[A-Z]\d)")


def _host(url: str) -> str:
    """The host of an http(s) URL, cheaply (no full parse on the hot path)."""
    rest = url.split("://", 1)[-1]
    return rest.split("/", 1)[0].split("@")[-1].split(":")[0].lower()


def versioned_model(title: str, mentions: list[Mention]) -> str | None:
    """The first product name written with a version ("Qwen3", "Claude Opus 4.1", "Kimi K2")."""
    for m in mentions:
        if m.role != "product":
            continue
        if any(ch.isdigit() for ch in m.term) or _VERSION_AFTER.match(title, m.end):
            tail = _VERSION_AFTER.match(title, m.end)
            return title[m.start : tail.end() if tail else m.end]
    return None


class Classifier:
    """Pure: the same subject always gives the same classification."""

    def __init__(self, registry: Registry) -> None:
        self.registry = registry
        self.matcher = Matcher(registry)
        self.hubs = HubJudge(registry, self.matcher)
        self._root_ids = {o.id: registry.root(o).id for o in registry.orgs.values()}
        self._labels = {  # "Alibaba (CN)" for every org, prepared once
            o.id: f"{registry.root(o).name} ({registry.root(o).country})"
            for o in registry.orgs.values()
        }

    def _label(self, org: Org) -> str:
        return self._labels[org.id]

    def _hub(self, hub: HubFacts, tally: _Tally) -> HubVerdict:
        verdict = self.hubs.judge(hub)
        for reason in verdict.reasons:
            tally.reasons.append(reason)
        if verdict.primary is not None:
            tally.add(verdict.primary.id, W_HUB, None)
        for involved in (verdict.uploader, verdict.base_org):
            if involved is not None and involved is not verdict.primary:
                tally.add(involved.id, W_INVOLVED, None)
        return verdict

    def _mentions(
        self, text: str, weight: float, in_title: bool, tally: _Tally, where: str, context: Context
    ) -> list[Mention]:
        seen: set[str] = set()
        mentions = self.matcher.find(text, context=context)
        for i, m in enumerate(mentions):
            org = self.registry.orgs[m.org_id]
            if m.org_id in seen:
                tally.add(m.org_id, W_REPEAT * (weight / W_TITLE), None)
                continue
            seen.add(m.org_id)
            if in_title and i == 0:
                tally.subject = m.org_id
                tally.add(
                    m.org_id,
                    weight + W_SUBJECT,
                    f"headline subject: '{m.term}' -> {self._label(org)}",
                )
            elif org.weak:
                tally.add(
                    m.org_id,
                    W_WEAK_TITLE if in_title else W_REPEAT,
                    f"{where} names '{m.term}' ({org.country})",
                )
            else:
                tally.add(m.org_id, weight, f"{where} mentions '{m.term}' -> {self._label(org)}")
        return mentions

    def classify(self, subject: Subject) -> Classification:
        tally = _Tally()
        notes: list[str] = []
        verdict = self._hub(subject.hub, tally) if subject.hub else None
        if subject.github_repo:
            owner = subject.github_repo.split("/", 1)[0]
            org = self.registry.by_github(owner)
            if org is not None:
                tally.add(org.id, W_GITHUB, f"GitHub owner {owner} -> {self._label(org)}")
        for url in dict.fromkeys(u for u in (subject.url, subject.source_url) if u):
            host = _host(url)
            org = self.registry.by_domain(host)
            # a platform's domain (huggingface.co, github.com...) says where, not who
            if org is not None and org.type != "platform":
                tally.add(org.id, W_DOMAIN, f"published on {host} -> {self._label(org)}")
                break
        versioned = None
        context = Context(f"{subject.title}\n{subject.summary[:1500]}")
        if subject.hub is None:  # a hub item's title is ours, and its repo name may name its base
            title_mentions = self._mentions(
                subject.title, W_TITLE, True, tally, "headline", context
            )
            versioned = versioned_model(subject.title, title_mentions)
        self._mentions(subject.summary[:1500], W_SUMMARY, False, tally, "summary", context)
        kinds = classify_kind(
            subject.title, subject.summary, subject.hub, subject.source_type, versioned
        )
        return self._decide(subject, tally, notes, kinds, verdict)

    def _decide(
        self,
        subject: Subject,
        tally: _Tally,
        notes: list[str],
        kinds: KindResult,
        verdict: HubVerdict | None,
    ) -> Classification:
        orgs = self.registry.orgs
        root_of = {o: self._root_ids[o] for o in tally.scores}
        families: dict[str, float] = defaultdict(float)
        for org_id, score in tally.scores.items():
            families[root_of[org_id]] += score
        # Platforms (Hugging Face, LMArena) are where things happen, not who does them.
        if any(orgs[r].type != "platform" for r in families):
            for root_id in [r for r in families if orgs[r].type == "platform"]:
                del families[root_id]

        # A country named in passing ("sales to China") is involved but is not the subject;
        # a country alone makes an item attributable only when it is government action.
        def candidate(root_id: str) -> bool:
            return not orgs[root_id].weak or root_id == tally.subject

        strong = {r: s for r, s in families.items() if candidate(r)}
        if verdict is not None:  # a hub upload is about the model it carries, known or not
            about = self.registry.root(verdict.primary).id if verdict.primary else None
            strong = {r: s for r, s in strong.items() if r == about}
        if not strong and kinds.kind == "policy":
            strong = dict(families)
        primary_org = primary_country = None
        countries: list[str] = []
        confidence = 0.3
        if strong:
            best_root = max(strong, key=lambda r: strong[r])
            members = [o for o in tally.scores if root_of[o] == best_root]
            primary_org = max(members, key=lambda o: (tally.scores[o], orgs[o].parent is not None))
            primary_country = orgs[best_root].country
            for root_id, score in sorted(families.items(), key=lambda kv: -kv[1]):
                country = orgs[root_id].country
                if (score >= 2 or root_id == best_root) and country not in countries:
                    countries.append(country)
            top = strong[best_root]
            runner_up = max((s for r, s in strong.items() if r != best_root), default=0.0)
            confidence = min(
                0.99,
                0.45
                + 0.05 * top
                + (0.2 if tally.strongest >= W_DOMAIN else 0.0)
                - (0.15 if runner_up >= top * 0.8 else 0.0),
            )
        ranked = tuple(
            o
            for o in sorted(tally.scores, key=lambda o: -tally.scores[o])
            if root_of[o] in families
        )
        return Classification(
            primary_country=primary_country,
            countries=tuple(countries),
            primary_org=primary_org,
            orgs=ranked if primary_org else (),
            kind=kinds.kind,
            modalities=kinds.modalities,
            open_weights=kinds.open_weights,
            licence=stored_licence(kinds.licence),
            params=kinds.params,
            confidence=round(confidence, 2),
            reasons=tuple(tally.reasons + notes + list(kinds.reasons)),
            derivative_of=(
                (verdict.base_model or "an unknown model")
                if verdict is not None and not verdict.release
                else None
            ),
            derivative=verdict.derivative if verdict else None,
            base_model=verdict.base_model if verdict else None,
            uploader=subject.hub.namespace if subject.hub else None,
        )
