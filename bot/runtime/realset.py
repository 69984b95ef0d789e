"""The real-world labelled set (``tests/data/real/``): headlines and hub records nobody on the
project wrote, scored the way issue 13 sets its targets.

    news: CN/US macro-F1, non-AI items given a country, kind accuracy
    hub: country and release both right ("hub accuracy"), derivative right
    confidence: the share of all errors found among the 10 % least confident answers

Tune on the dev half; the test half is only reported.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.attribution.classify import Classification, Classifier, Subject
from bot.attribution.evaluate import Scores, f1_scores
from bot.runtime.lines import LineError, subject_of

HALVES = ("dev", "test")
LEAST_CONFIDENT = 0.10


@dataclass(frozen=True)
class RealExample:
    subject: Subject
    label: dict[str, Any]
    hub: bool
    where: str  # file:line
    case: str = ""


@dataclass(frozen=True)
class Answer:
    example: RealExample
    result: Classification
    wrong: bool  # country wrong (news), or country or release wrong (hub)


@dataclass
class HalfReport:
    half: str
    news: int
    hub: int
    country_scores: list[Scores]
    macro_f1: float  # over CN and US
    non_ai_with_country: int
    kind_accuracy: float
    hub_accuracy: float
    derivative_accuracy: float
    errors: int
    errors_least_confident: int  # among the 10 % least confident answers
    mistakes: list[str] = field(default_factory=list)

    @property
    def confidence_share(self) -> float:
        return self.errors_least_confident / self.errors if self.errors else 1.0


def load_half(folder: Path, half: str) -> list[RealExample]:
    """Both files of one half; a line that cannot be read is an error naming its place."""
    out: list[RealExample] = []
    for kind in ("news", "hub"):
        path = folder / f"{kind}_{half}.jsonl"
        if not path.exists():
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            where = f"{path.name}:{number}"
            try:
                raw = json.loads(line)
                subject = subject_of(raw)
                label = raw["label"]
            except (ValueError, KeyError, TypeError, LineError) as exc:
                raise ValueError(f"{where}: {exc}") from None
            out.append(
                RealExample(subject, label, kind == "hub", where, str(raw.get("case") or ""))
            )
    return out


def _group(country: str | None) -> str:
    return country if country in ("CN", "US") else ("none" if country is None else "other")


def score(half: str, classifier: Classifier, examples: list[RealExample]) -> HalfReport:
    answers: list[Answer] = []
    pairs: list[tuple[str, str]] = []
    kinds_right = non_ai = hub_right = derivative_right = 0
    mistakes: list[str] = []
    for ex in examples:
        result = classifier.classify(ex.subject)
        gold = ex.label.get("country")
        got = result.primary_country
        if ex.hub:
            wrong = got != gold or result.release != bool(ex.label.get("release", True))
            hub_right += not wrong
            derivative_right += result.derivative == ex.label.get("derivative")
        else:
            wrong = got != gold
            pairs.append((_group(gold), _group(got)))
            kinds_right += result.kind == ex.label.get("kind")
            non_ai += ex.label.get("ai") is False and got is not None
        answers.append(Answer(ex, result, wrong))
        if wrong or (not ex.hub and result.kind != ex.label.get("kind")):
            mistakes.append(_mistake(ex, result))
    n_news = sum(1 for ex in examples if not ex.hub)
    n_hub = len(examples) - n_news
    scores = f1_scores(pairs, ["CN", "US"])
    ranked = sorted(answers, key=lambda a: a.result.confidence)
    bottom = ranked[: max(1, round(len(ranked) * LEAST_CONFIDENT))] if ranked else []
    return HalfReport(
        half=half,
        news=n_news,
        hub=n_hub,
        country_scores=scores,
        macro_f1=sum(s.f1 for s in scores) / len(scores),
        non_ai_with_country=non_ai,
        kind_accuracy=kinds_right / n_news if n_news else 0.0,
        hub_accuracy=hub_right / n_hub if n_hub else 0.0,
        derivative_accuracy=derivative_right / n_hub if n_hub else 0.0,
        errors=sum(a.wrong for a in answers),
        errors_least_confident=sum(a.wrong for a in bottom),
        mistakes=mistakes,
    )


def _mistake(ex: RealExample, result: Classification) -> str:
    label = ex.label
    if ex.hub:
        expected = (
            f"{label.get('country')}/{label.get('derivative')}/release={label.get('release')}"
        )
        got = f"{result.primary_country}/{result.derivative}/release={result.release}"
    else:
        expected = f"{label.get('country')}/{label.get('kind')}"
        got = f"{result.primary_country}/{result.kind}"
    case = f" [{ex.case}]" if ex.case else ""
    return (
        f"{ex.where}{case}: {ex.subject.title[:70]!r} expected {expected}, got {got} "
        f"(confidence {result.confidence:.2f})"
    )
