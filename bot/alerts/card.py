"""The alert card: everything a platform renderer needs, decided once, platform-neutral."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from bot.alerts.summary import extract_summary
from bot.attribution.classify import Classification
from bot.attribution.registry import Registry
from bot.attribution.vocab import KINDS, MODALITIES, flag
from bot.items import HubFacts

COUNTRY_NAMES = {
    "CN": "China",
    "US": "United States",
    "FR": "France",
    "GB": "United Kingdom",
    "JP": "Japan",
    "KR": "South Korea",
    "AE": "UAE",
    "CA": "Canada",
    "IL": "Israel",
    "DE": "Germany",
    "TW": "Taiwan",
    "NL": "Netherlands",
    "IN": "India",
    "SG": "Singapore",
    "CH": "Switzerland",
    "SA": "Saudi Arabia",
    "FI": "Finland",
    "BE": "Belgium",
}


@dataclass(frozen=True)
class AlertCard:
    story_id: int
    item_id: int
    title: str
    url: str | None
    summary: str
    country: str | None
    flag: str
    org: str | None
    kind: str
    facts: tuple[tuple[str, str], ...]
    source: str
    published_at: datetime
    links: tuple[tuple[str, str], ...] = ()
    rule: str = ""
    mentions: tuple[str, ...] = ()
    also_reported: tuple[str, ...] = field(default_factory=tuple)
    thumbnail: str | None = None

    @property
    def facts_line(self) -> str:
        return " · ".join(value for _, value in self.facts)


def human_count(value: float) -> str:
    for unit, size in (("T", 1e12), ("B", 1e9), ("M", 1e6), ("k", 1e3)):
        if value >= size:
            return f"{value / size:.3g}{unit}"
    return f"{value:g}"


def _hub_summary(hub: HubFacts, org_label: str) -> str:
    what = hub.pipeline_tag.replace("-", " ") if hub.pipeline_tag else "model"
    size = f"{human_count(hub.params)}-parameter " if hub.params else ""
    text = f"{org_label} published {hub.repo_id}, a {size}{what} model".replace(
        "model model", "model"
    )
    if hub.derivative and hub.base_models:
        text += f", a {hub.derivative} of {hub.base_models[0]}"
    if hub.licence and hub.licence.lower() not in ("other", "unknown"):
        text += f", under the {hub.licence} licence"
    return text + (" (gated: accept the terms to download)." if hub.gated else ".")


def build_card(
    *,
    story_id: int,
    item_id: int,
    title: str,
    url: str | None,
    summary_text: str,
    source: str,
    published_at: datetime,
    llm_summary: str | None = None,
    hub: HubFacts | None,
    cls: Classification,
    registry: Registry,
    rule: str = "",
    mentions: tuple[str, ...] = (),
) -> AlertCard:
    org = registry.get(cls.primary_org)
    root = registry.root(org) if org else None
    org_label = (
        (f"{org.name} ({root.name})" if root and root is not org else org.name) if org else None
    )
    facts: list[tuple[str, str]] = []
    if org_label:
        country = COUNTRY_NAMES.get(cls.primary_country or "", cls.primary_country or "")
        facts.append(("Organisation", f"{flag(cls.primary_country)} {org_label}, {country}"))
    others = [c for c in cls.countries if c != cls.primary_country]
    if others:
        facts.append(
            ("Also involves", " ".join(f"{flag(c)} {COUNTRY_NAMES.get(c, c)}" for c in others))
        )
    facts.append(("Kind", KINDS.get(cls.kind, cls.kind)))
    if cls.modalities:
        facts.append(("Modality", ", ".join(MODALITIES.get(m, m) for m in cls.modalities)))
    if cls.params:
        facts.append(("Parameters", human_count(cls.params)))
    if cls.open_weights == "yes":
        facts.append(("Weights", f"open ({cls.licence})" if cls.licence else "open"))
    elif cls.open_weights == "no":
        facts.append(("Weights", "closed"))
    if hub and hub.downloads:
        facts.append(("Downloads", human_count(hub.downloads)))
    if cls.derivative_of:
        facts.append(("Based on", cls.derivative_of))
    summary = llm_summary or extract_summary(title, summary_text)
    if not summary and hub:
        # a re-upload is published by its uploader, though it is about the base model
        summary = _hub_summary(
            hub, hub.namespace if cls.derivative_of else org_label or hub.namespace
        )
    links: list[tuple[str, str]] = []
    if url:
        links.append(("Open", url))
    if hub is not None:
        paper = next((t[len("arxiv:") :] for t in hub.tags if t.startswith("arxiv:")), None)
        if paper:
            links.append(("Paper", f"https://arxiv.org/abs/{paper}"))
    return AlertCard(
        story_id,
        item_id,
        title,
        url,
        summary,
        cls.primary_country,
        flag(cls.primary_country),
        org_label,
        cls.kind,
        tuple(facts),
        source,
        published_at,
        tuple(links),
        rule,
        mentions,
    )


@dataclass(frozen=True)
class StoryUpdate:
    """Later coverage of an alerted story, posted in its thread (or as an edit)."""

    story_id: int
    title: str
    reply_to: str | None  # the platform's id of the first alert
    coverage: tuple[tuple[str, str, str | None], ...]  # (source, headline, link)

    @property
    def text(self) -> str:
        sources = ", ".join(dict.fromkeys(source for source, _, _ in self.coverage))
        return f"Also reported by {sources}" if sources else "More coverage"


@dataclass(frozen=True)
class Digest:
    """Held alerts of one rule, sent together on its schedule."""

    rule: str
    cards: tuple[AlertCard, ...]
    created_at: datetime

    @property
    def title(self) -> str:
        n = len(self.cards)
        return f"racewatch digest · {self.rule} · {n} {'story' if n == 1 else 'stories'}"
