"""``why``: every stage's decision for one item, in words. Used by the CLI and chat commands."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.attribution.classify import Classification
from bot.attribution.registry import Registry
from bot.attribution.vocab import KINDS, flag
from bot.rules.facts import facts_for
from bot.rules.match import run_rules
from bot.rules.model import Mute, Rule
from bot.store.schema import Classification as ClassRow
from bot.store.schema import Delivery, Item, RuleMatch, Source, Story
from bot.stories.canonical import canonical_url
from bot.text import counted


@dataclass
class Explanation:
    item_id: int
    title: str
    sections: list[tuple[str, list[str]]] = field(default_factory=list)

    def add(self, heading: str, lines: list[str]) -> None:
        self.sections.append((heading, lines))


def find_item(session: Session, ref: str) -> Item | None:
    """An item by id, by its link (any spelling of it) or by its source's id for it."""
    ref = ref.strip()
    if ref.isascii() and ref.isdigit():  # "²" is a digit to str.isdigit, not a number
        number = int(ref)
        return session.get(Item, number) if number < 2**63 else None  # ids are 64-bit
    canonical = canonical_url(ref)
    if canonical:
        hit = session.scalar(
            select(Item).where(Item.canonical_url == canonical).order_by(Item.id).limit(1)
        )
        if hit:
            return hit
    return session.scalar(select(Item).where(Item.guid == ref).order_by(Item.id).limit(1))


def to_classification(row: ClassRow) -> Classification:
    return Classification(
        row.primary_country,
        tuple(row.countries),
        row.primary_org,
        tuple(row.orgs),
        row.kind,
        tuple(row.modalities),
        row.open_weights,
        row.licence,
        row.params,
        row.confidence,
        tuple(row.reasons),
        row.derivative_of,
        row.derivative,
        row.base_model,
        row.uploader,
    )


def explain(
    session: Session,
    item: Item,
    registry: Registry,
    rules: list[Rule],
    mutes: list[Mute],
    max_age: float,
) -> Explanation:
    out = Explanation(item.id, item.title)
    source = session.get(Source, item.source_id)
    source_name = source.name if source else "?"
    fetched = [
        f"from source '{source_name}' on {item.fetched_at:%Y-%m-%d %H:%M} UTC "
        f"(published {item.published_at:%Y-%m-%d %H:%M} UTC)",
        f"source's id: {item.guid}",
    ]
    if item.url:
        fetched.append(f"link: {item.url}")
    if item.baseline:
        fetched.append(
            "stored as part of the source's first poll (a silent baseline): never alerted"
        )
    out.add("Fetched", fetched)
    row = session.get(ClassRow, item.id)
    if row is None:
        out.add("Classified", ["not classified (stored before classification ran)"])
        return out
    cls = to_classification(row)
    org = registry.get(cls.primary_org)
    out.add(
        "Classified",
        [
            f"{flag(cls.primary_country)} country {cls.primary_country or 'none'}; involved: "
            f"{', '.join(cls.countries) or 'none'}; organisation {org.name if org else 'none'}; "
            f"confidence {cls.confidence:.2f}",
            f"kind {KINDS.get(cls.kind, cls.kind)}; open weights {cls.open_weights}"
            + (f" ({cls.licence})" if cls.licence else ""),
            *(f"because {reason}" for reason in cls.reasons),
        ],
    )
    story = session.get(Story, item.story_id) if item.story_id else None
    if story is not None:
        out.add(
            "Story",
            [
                f"story {story.id}: {item.story_reason or 'new story'}",
                f"{counted(story.item_count, 'item')}; release key "
                + (f"'{story.release_key}'" if story.release_key else "none")
                + (f" of {story.org}" if story.org else ""),
            ],
        )
    if not item.baseline:
        facts = facts_for(item, cls, source_name, registry)
        results = run_rules(rules, mutes, facts, item.fetched_at, max_age)
        recorded = set(
            session.scalars(select(RuleMatch.rule_name).where(RuleMatch.item_id == item.id))
        )
        out.add(
            "Rules",
            [
                f"{'✔' if r.matched or r.rule in recorded else '✘'} {r.rule}: {r.why}"
                for r in results
            ]
            or ["no rules are configured"],
        )
    deliveries = (
        list(
            session.scalars(
                select(Delivery).where(Delivery.story_id == item.story_id).order_by(Delivery.id)
            )
        )
        if item.story_id
        else []
    )
    lines = []
    for d in deliveries:
        when = f" at {d.sent_at:%Y-%m-%d %H:%M} UTC" if d.sent_at else ""
        why = f" ({d.last_error})" if d.last_error and d.status != "sent" else ""
        whose = "this item" if d.item_id == item.id else f"item {d.item_id} of the same story"
        lines.append(
            f"{d.kind} to '{d.destination}' by rule {d.rule_name}: {d.status}{when}{why}; "
            f"shows {whose}"
        )
    out.add("Delivered", lines or ["nothing was queued for this story"])
    return out
