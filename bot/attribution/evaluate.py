"""Measure attribution against a labelled set: precision, recall, F1 and confusion tables."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bot.attribution.classify import Classifier, Subject
from bot.items import HubFacts

NONE = "none"


@dataclass(frozen=True)
class Example:
    subject: Subject
    country: str
    kind: str
    also: tuple[str, ...]
    source: str


@dataclass(frozen=True)
class Scores:
    label: str
    precision: float
    recall: float
    f1: float
    support: int


@dataclass
class Report:
    examples: int
    country_scores: list[Scores]
    country_macro_f1: float
    country_accuracy: float
    kind_scores: list[Scores]
    kind_accuracy: float
    country_confusion: Counter[tuple[str, str]]
    kind_confusion: Counter[tuple[str, str]]
    non_ai_with_country: int
    mistakes: list[str] = field(default_factory=list)


def _subject(raw: dict[str, Any]) -> Subject:
    if "hub" in raw:
        repo = str(raw["hub"])
        namespace, name = repo.split("/", 1)
        base = raw.get("base")
        hub = HubFacts(
            hub="huggingface",
            repo_id=repo,
            namespace=namespace,
            pipeline_tag=raw.get("pipeline"),
            base_models=(base,) if base else (),
            derivative=raw.get("relation"),
        )
        return Subject(
            title=f"{namespace} released {name} on Hugging Face", hub=hub, source_type="huggingface"
        )
    return Subject(title=str(raw["t"]), summary=str(raw.get("s", "")), url=raw.get("u"))


def load_examples(paths: Iterable[Path]) -> list[Example]:
    out = []
    for path in paths:
        doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for i, raw in enumerate(doc.get("examples", [])):
            out.append(
                Example(
                    _subject(raw),
                    raw.get("c") or NONE,
                    raw["k"],
                    tuple(raw.get("also", [])),
                    f"{path.name}#{i + 1}",
                )
            )
    return out


def f1_scores(pairs: list[tuple[str, str]], labels: Iterable[str]) -> list[Scores]:
    out = []
    for label in labels:
        tp = sum(1 for gold, got in pairs if gold == label and got == label)
        fp = sum(1 for gold, got in pairs if gold != label and got == label)
        fn = sum(1 for gold, got in pairs if gold == label and got != label)
        p = tp / (tp + fp) if tp + fp else 0.0
        r = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * p * r / (p + r) if p + r else 0.0
        out.append(Scores(label, p, r, f1, tp + fn))
    return out


def country_group(code: str) -> str:
    return code if code in ("CN", "US", NONE) else "other"


def evaluate(classifier: Classifier, examples: list[Example]) -> Report:
    countries: list[tuple[str, str]] = []
    kinds: list[tuple[str, str]] = []
    mistakes: list[str] = []
    non_ai = 0
    for ex in examples:
        result = classifier.classify(ex.subject)
        got_country = result.primary_country or NONE
        countries.append((country_group(ex.country), country_group(got_country)))
        kinds.append((ex.kind, result.kind))
        if ex.country == NONE and got_country != NONE:
            non_ai += 1
        if got_country != ex.country or result.kind != ex.kind:
            mistakes.append(
                f"{ex.source}: {ex.subject.title[:70]!r} expected {ex.country}/{ex.kind}, "
                f"got {got_country}/{result.kind}"
            )
    country_labels = ["CN", "US", "other", NONE]
    country_scores = f1_scores(countries, country_labels)
    kind_labels = sorted({k for k, _ in kinds})
    return Report(
        examples=len(examples),
        country_scores=country_scores,
        country_macro_f1=sum(s.f1 for s in country_scores) / len(country_scores),
        country_accuracy=sum(g == p for g, p in countries) / len(countries),
        kind_scores=f1_scores(kinds, kind_labels),
        kind_accuracy=sum(g == p for g, p in kinds) / len(kinds),
        country_confusion=Counter(countries),
        kind_confusion=Counter(kinds),
        non_ai_with_country=non_ai,
        mistakes=mistakes,
    )
