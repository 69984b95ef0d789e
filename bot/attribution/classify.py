"""Attribution: which organisations an item is about, their countries, and why we think so."""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from bot.attribution.kinds import KindResult, classify_kind
from bot.attribution.matcher import Matcher, Mention
from bot.attribution.registry import Org, Registry
from bot.items import HubFacts

# Country words only add to "countries involved" once an AI organisation is found.
_COUNTRY_WORDS = {
    "CN": re.compile(r"\b(China|Chinese|Beijing|PRC)\b|中国|国产|北京"),
    "US": re.compile(
        r"\b(U\.S\.|US|USA|United States|American|Washington|Trump administration|"
        r"Biden administration|White House)\b|美国|美方"
    ),
}
W_HUB, W_GITHUB, W_DOMAIN, W_TITLE, W_SUBJECT, W_SUMMARY = 10.0, 8.0, 4.0, 3.0, 2.0, 1.0


@dataclass(frozen=True)
class Subject:
    """What classification looks at: an item's text, links and facts, and its source."""

    title: str
    summary: str = ""
    url: str | None = None
    source_url: str | None = None
    source_type: str = "feed"
    source_country: str | None = None
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
    derivative_of: str | None = None


@dataclass
class _Tally:
    scores: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    reasons: list[str] = field(default_factory=list)
    strongest: float = 0.0

    def add(self, org_id: str, weight: float, reason: str | None) -> None:
        self.scores[org_id] += weight
        self.strongest = max(self.strongest, weight)
        if reason and reason not in self.reasons:
            self.reasons.append(reason)


class Classifier:
    """Pure: the same subject always gives the same classification."""

    def __init__(self, registry: Registry) -> None:
        self.registry = registry
        self.matcher = Matcher(registry)

    def _label(self, org: Org) -> str:
        root = self.registry.root(org)
        return f"{root.name} ({root.country})"

    def _hub(self, hub: HubFacts, tally: _Tally, notes: list[str]) -> str | None:
        hub_name = "Hugging Face" if hub.hub == "huggingface" else "ModelScope"
        org = self.registry.by_namespace(hub.namespace)
        if org is not None:
            tally.add(org.id, W_HUB, f"{hub_name} namespace {hub.namespace} -> {self._label(org)}")
        derivative_of = None
        for base in hub.base_models[:3]:
            base_org = self.registry.by_namespace(base.split("/", 1)[0])
            if base_org is None or (
                org is not None and self.registry.root(base_org) is self.registry.root(org)
            ):
                continue
            derivative_of = base
            root = self.registry.root(base_org)
            notes.append(
                f"{hub.derivative or 'derivative'} of {base}, from {root.name} ({root.country})"
            )
            break
        return derivative_of

    def _mentions(
        self, text: str, weight: float, subject_bonus: bool, tally: _Tally, where: str
    ) -> None:
        mentions: list[Mention] = self.matcher.find(text)
        counted: dict[str, int] = defaultdict(int)
        for i, m in enumerate(mentions):
            counted[m.org_id] += 1
            if counted[m.org_id] > 3:
                continue
            org = self.registry.orgs[m.org_id]
            bonus = W_SUBJECT if subject_bonus and i == 0 else 0.0
            label = "headline subject" if bonus else f"{where} mentions"
            tally.add(
                m.org_id,
                weight + bonus,
                f"{label}: '{m.term}' -> {self._label(org)}" if counted[m.org_id] == 1 else None,
            )

    def classify(self, subject: Subject) -> Classification:
        tally = _Tally()
        notes: list[str] = []
        derivative_of = self._hub(subject.hub, tally, notes) if subject.hub else None
        if subject.github_repo:
            owner = subject.github_repo.split("/", 1)[0]
            org = self.registry.by_github(owner)
            if org is not None:
                tally.add(org.id, W_GITHUB, f"GitHub owner {owner} -> {self._label(org)}")
        for url in dict.fromkeys(u for u in (subject.url, subject.source_url) if u):
            host = urlsplit(url).hostname or ""
            org = self.registry.by_domain(host)
            if org is not None:
                tally.add(org.id, W_DOMAIN, f"published on {host} -> {self._label(org)}")
                break
        if subject.hub is None:  # a hub item's title is ours, and its repo name may name its base
            self._mentions(subject.title, W_TITLE, True, tally, "headline")
        self._mentions(subject.summary[:1500], W_SUMMARY, False, tally, "summary")
        kinds = classify_kind(subject.title, subject.summary, subject.hub, subject.source_type)
        return self._decide(subject, tally, notes, kinds, derivative_of)

    def _decide(
        self,
        subject: Subject,
        tally: _Tally,
        notes: list[str],
        kinds: KindResult,
        derivative_of: str | None,
    ) -> Classification:
        families: dict[str, float] = defaultdict(float)
        for org_id, score in tally.scores.items():
            families[self.registry.root(self.registry.orgs[org_id]).id] += score
        # Platforms (Hugging Face, LMArena) are where things happen, not who does them.
        if any(self.registry.orgs[r].type != "platform" for r in families):
            for root_id in [r for r in families if self.registry.orgs[r].type == "platform"]:
                del families[root_id]
                tally.scores = {
                    o: v
                    for o, v in tally.scores.items()
                    if self.registry.root(self.registry.orgs[o]).id != root_id
                }
        primary_org = primary_country = None
        countries: list[str] = []
        confidence = 0.3
        if families:
            best_root = max(families, key=lambda r: families[r])
            members = [
                o for o in tally.scores if self.registry.root(self.registry.orgs[o]).id == best_root
            ]
            primary_org = max(
                members, key=lambda o: (tally.scores[o], self.registry.orgs[o].parent is not None)
            )
            primary_country = self.registry.orgs[best_root].country
            # a passing mention in a summary does not make a country "involved"
            for root_id, score in sorted(families.items(), key=lambda kv: -kv[1]):
                country = self.registry.orgs[root_id].country
                if (score >= 2 or root_id == best_root) and country not in countries:
                    countries.append(country)
            text = f"{subject.title}\n{subject.summary[:600]}"
            for code, pattern in _COUNTRY_WORDS.items():
                if code not in countries and pattern.search(text):
                    countries.append(code)
                    notes.append(f"text names {'China' if code == 'CN' else 'the United States'}")
            top = families[best_root]
            runner_up = max((s for r, s in families.items() if r != best_root), default=0.0)
            confidence = min(
                0.99,
                0.45
                + 0.05 * top
                + (0.2 if tally.strongest >= W_DOMAIN else 0.0)
                - (0.15 if runner_up >= top * 0.8 else 0.0),
            )
        elif subject.hub is not None:
            notes.append(f"uploader {subject.hub.namespace} is not a known organisation")
        orgs = tuple(sorted(tally.scores, key=lambda o: -tally.scores[o]))
        return Classification(
            primary_country=primary_country,
            countries=tuple(countries),
            primary_org=primary_org,
            orgs=orgs,
            kind=kinds.kind,
            modalities=kinds.modalities,
            open_weights=kinds.open_weights,
            licence=kinds.licence,
            params=kinds.params,
            confidence=round(confidence, 2),
            reasons=tuple(tally.reasons + notes + list(kinds.reasons)),
            derivative_of=derivative_of,
        )
