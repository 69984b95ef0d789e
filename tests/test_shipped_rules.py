"""Each shipped example rule fires on a real-looking item and not on its near miss.

The items go through the real classifier, release keys and rule facts, as ingest runs
them, against the rules and mutes in config/rules.example.yaml.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.attribution.classify import Classifier, Subject
from bot.attribution.registry import load_registry
from bot.config.loader import load_rule_file
from bot.items import NewItem
from bot.rules.facts import facts_for
from bot.rules.match import run_rules
from bot.shipped import shipped_file
from bot.stories.release import families_of, item_release_key, model_kind

REGISTRY = load_registry()
CLASSIFIER = Classifier(REGISTRY)
FAMILIES = families_of(REGISTRY)
RULES, MUTES = load_rule_file(shipped_file("rules.example.yaml"), [])
NOW = datetime.now(UTC)

CASES = [
    # rule, an item it fires on, a near miss it does not fire on
    (
        "chinese-open-weights-llms",
        "StepFun open-sources Step-4 under Apache 2.0",
        "OpenAI open-sources gpt-oss-120b under Apache 2.0",
    ),
    (
        "chinese-open-weights-llms",
        "DeepSeek releases V3.1 with open weights on Hugging Face",
        "DeepSeek's chatbot app tops the App Store in 50 countries",
    ),
    (
        "video-generators",
        "Kuaishou launches Kling 2.1 video generation model to rival OpenAI's Sora",
        "Kuaishou raises $1 billion for its Kling AI video unit",
    ),
    (
        "us-chip-export-controls",
        "US Commerce Department tightens export controls on AI chips to China",
        "Nvidia unveils its next AI chips at Computex",
    ),
    (
        "chinese-model-in-lmarena-top-10",
        "qwen3-235b-a22b (Alibaba) enters the LMArena text leaderboard top 10 at #7",
        "gpt-5-high (OpenAI) enters the LMArena text leaderboard top 10 at #1",
    ),
    (
        "us-frontier-releases",
        "OpenAI releases GPT-5.1 to all ChatGPT users",
        "Alibaba releases Qwen3, a family of open-weights models",
    ),
    (
        "everything-from-deepseek",
        "DeepSeek releases V3.1 with a hybrid thinking mode",
        "DeepL launches a new translation model for enterprises",
    ),
]


def verdict(rule_name: str, title: str) -> tuple[bool, str]:
    cls = CLASSIFIER.classify(Subject(title=title))
    org = REGISTRY.get(cls.primary_org)
    root = REGISTRY.root(org).id if org else None
    cls = model_kind(cls, item_release_key(title, None, root, REGISTRY, FAMILIES))
    item = NewItem(guid="x", title=title, url=None, summary="", published_at=NOW, language="en")
    facts = facts_for(item, cls, "news", REGISTRY)
    result = next(r for r in run_rules(RULES, MUTES, facts, NOW, 86400.0) if r.rule == rule_name)
    return result.matched, f"{result.why} ({cls.kind}, {cls.primary_country})"


def test_every_shipped_rule_has_a_case() -> None:
    covered = {rule for rule, _, _ in CASES}
    # capability-gap-moves fires on the capability boards' own items (tests/test_capability)
    assert {r.name for r in RULES} - covered <= {"capability-gap-moves"}


@pytest.mark.parametrize(("rule", "fires", "near_miss"), CASES)
def test_a_shipped_rule_fires_on_its_item_and_not_on_the_near_miss(
    rule: str, fires: str, near_miss: str
) -> None:
    matched, why = verdict(rule, fires)
    assert matched, why
    matched, why = verdict(rule, near_miss)
    assert not matched, why
