"""``racewatch bench rules``: matching one item against a workspace's full allowance of chat
rules (``platforms.max_chat_rules``, 200) on top of the shipped example rules.

The rules are of the kinds people add from chat: countries, organisations, kinds, keywords,
phrases, small regexes and nested any/not. Items are classified bench headlines. The figure
is the CPU time to judge one item against every rule, as ingest does for each new item
(single-threaded work: CPU time is what it costs, whatever else the machine is running).
"""

from __future__ import annotations

import random
import time
from datetime import UTC, datetime
from typing import Any

from bot.attribution.classify import Classifier, Subject
from bot.attribution.registry import load_registry
from bot.bench.data import headline
from bot.items import NewItem
from bot.rules.facts import Facts, facts_for
from bot.rules.match import run_rules
from bot.rules.model import Rule

Row = tuple[str, str, str, str]
SEED = 14
TARGET_MS = 2.0  # per item, every rule: 2,000 new items a minute would use 7 % of a core


def chat_rules(count: int, rng: random.Random) -> list[Rule]:
    """``count`` rules of the shapes chat users write."""
    countries = ["CN", "US", "FR", "GB", "JP", "KR"]
    orgs = ["alibaba", "deepseek", "moonshot", "openai", "google", "meta", "zhipu", "tencent"]
    words = ["open weights", "reasoning", "video", "agent", "coder", "benchmark", "license"]
    shapes: list[dict[str, Any]] = [
        {"country": rng.sample(countries, 2)},
        {"org": rng.sample(orgs, 3), "kind": "model_release"},
        {"keywords_any": rng.sample(words, 3), "country": "CN"},
        {"phrase": [rng.choice(words)], "open_weights": "yes"},
        {"regex": rf"\b{rng.choice(['qwen', 'glm', 'kimi', 'gpt'])}[-\s]?\d+(\.\d+)?\b"},
        {"any": [{"country": "CN"}, {"keywords_all": rng.sample(words, 2)}]},
        {"country": "US", "not": {"keywords_any": ["funding", "lawsuit"]}},
        {"params_min": rng.choice([7, 30, 70]), "countries_involved": ["CN"]},
    ]
    return [
        Rule.model_validate({"name": f"chat-{n}", "when": shapes[n % len(shapes)]})
        for n in range(count)
    ]


def item_facts(count: int, rng: random.Random) -> list[Facts]:
    classifier = Classifier(load_registry())
    registry = classifier.registry
    now = datetime.now(UTC)
    out = []
    for n in range(count):
        title, summary = headline(rng, n)
        cls = classifier.classify(Subject(title=title, summary=summary))
        item = NewItem(f"bench-{n}", title, None, summary, now, language="en")
        out.append(facts_for(item, cls, "bench", registry))
    return out


async def rules_at_cap(cap: int = 200, items: int = 2000, rounds: int = 3) -> list[Row]:
    from bot.config.loader import load_config

    rng = random.Random(SEED)
    shipped = list(load_config(None, env={}).rules)  # the settings' rules (shipped examples)
    rules = shipped + chat_rules(cap, rng)
    facts = item_facts(items, rng)
    now = datetime.now(UTC)
    best = wall = float("inf")
    matched = 0
    for _ in range(rounds):
        started, cpu = time.perf_counter(), time.process_time()
        matched = sum(r.matched for f in facts for r in run_rules(rules, [], f, now, 86400.0))
        best = min(best, (time.process_time() - cpu) / items)
        wall = min(wall, (time.perf_counter() - started) / items)
    return [
        (
            f"one item against {len(rules)} rules ({cap} chat + {len(shipped)} from settings)",
            f"{best * 1000:.2f} ms of CPU ({wall * 1000:.2f} ms wall), "
            f"{matched / items:.1f} matches per item",
            f"< {TARGET_MS:.0f} ms",
            "ok" if best * 1000 < TARGET_MS else "MISSED",
        )
    ]
