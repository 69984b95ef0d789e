"""Rules fire exactly where they should and say why not; URLs canonicalise stably."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from bot.rules.facts import Facts
from bot.rules.match import evaluate, run_rules
from bot.rules.model import Condition, Mute, Rule
from bot.stories.canonical import canonical_url

NOW = datetime(2026, 11, 25, tzinfo=UTC)


def facts(**kw: Any) -> Facts:
    base: dict[str, Any] = dict(
        title="Alibaba releases Qwen3 open-weights models",
        summary="Apache 2.0, 235B parameters.",
        source="qwen-blog",
        language="en",
        country="CN",
        countries=frozenset({"CN"}),
        org_keys=frozenset({"qwen", "qwen team", "alibaba"}),
        kind="model_release",
        modalities=frozenset({"text"}),
        open_weights="yes",
        licence="apache-2.0",
        params=235e9,
        downloads=1000,
        likes=50,
        published_at=NOW - timedelta(hours=2),
    )
    base.update(kw)
    return Facts(**base)


def cond(**kw: Any) -> Condition:
    return Condition.model_validate(kw)


def test_fields_and_nesting() -> None:
    c = cond(
        country="cn",
        open_weights=True,
        any=[{"kind": "model release"}, {"kind": "benchmark"}],
        **{"not": {"keywords_any": ["GGUF"]}},
    )
    assert evaluate(c, facts()).matched
    assert not evaluate(c, facts(title="Qwen3 GGUF quants")).matched


def test_a_failed_rule_names_the_failed_condition() -> None:
    outcome = evaluate(cond(country="US"), facts())
    assert not outcome.matched and outcome.why == "country is CN, not US"
    outcome = evaluate(cond(params_min=300), facts())
    assert outcome.why == "parameters (B) 235 < 300"


def test_keywords_match_whole_words_case_insensitively() -> None:
    assert evaluate(cond(keywords_any=["qwen3"]), facts()).matched
    assert not evaluate(cond(keywords_any=["wen"]), facts()).matched
    assert evaluate(cond(keywords_all=["alibaba", "apache"], **{"in": "both"}), facts()).matched
    assert not evaluate(
        cond(keywords_all=["alibaba", "apache"], **{"in": "title"}), facts()
    ).matched


def test_an_organisation_named_in_any_case_matches_and_a_miss_lists_the_names() -> None:
    assert evaluate(cond(org=["Qwen Team"]), facts()).matched
    assert evaluate(cond(org=["ALIBABA", "deepseek"]), facts()).why == "organisation alibaba"
    outcome = evaluate(cond(org=["DeepSeek"]), facts())
    assert outcome.why == "organisation is alibaba, qwen, qwen team, not DeepSeek"


def test_a_catastrophic_regex_is_stopped_not_hung() -> None:
    outcome = evaluate(cond(regex=r"(a+)+$"), facts(title="a" * 5000 + "!"))
    assert not outcome.matched and "took too long" in outcome.why


def test_mutes_win_and_old_items_do_not_alert() -> None:
    rules = [Rule(name="cn", when=cond(country="CN"))]
    mutes = [Mute(name="no-quants", when=cond(keywords_any=["GGUF"]))]
    [r] = run_rules(rules, mutes, facts(title="Qwen3 GGUF"), NOW, 3 * 86400)
    assert not r.matched and "muted by 'no-quants'" in r.why
    [r] = run_rules(rules, [], facts(published_at=NOW - timedelta(days=5)), NOW, 3 * 86400)
    assert not r.matched and "over the 72 h limit" in r.why


@pytest.mark.parametrize(
    "bad",
    [
        {"contry": "CN"},
        {"kind": "press-release"},
        {"regex": "(("},
        {"country": "China"},
        {},
        {"all": [{}]},
    ],
)
def test_invalid_conditions_are_rejected(bad: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        Condition.model_validate(bad)


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(
            st.sampled_from(
                [
                    "country",
                    "kind",
                    "all",
                    "any",
                    "not",
                    "regex",
                    "contry",
                    "keywords_any",
                    "in",
                    "params_min",
                ]
            ),
            inner,
            max_size=3,
        )
    ),
    max_leaves=8,
)


@settings(max_examples=300, deadline=None)
@given(_json)
def test_the_rule_parser_accepts_or_rejects_but_never_crashes(data: Any) -> None:
    try:
        condition = Condition.model_validate(data)
    except ValidationError:
        return
    evaluate(condition, facts())  # whatever validated must also evaluate


@settings(max_examples=300, deadline=None)
@given(
    st.text(max_size=60),
    st.sampled_from(["http", "https", "HTTP"]),
    st.sampled_from(["Example.COM", "www.example.com", "example.com."]),
    st.lists(st.sampled_from(["utm_source=x", "a=1", "fbclid=z", "b=2"]), max_size=4),
)
def test_canonical_urls_are_stable_and_drop_tracking(
    path: str, scheme: str, host: str, query: list[str]
) -> None:
    url = f"{scheme}://{host}/{quote(path)}?{'&'.join(query)}#frag"
    once = canonical_url(url)
    if once is None:
        return
    assert canonical_url(once) == once
    assert "utm_" not in once and "fbclid" not in once and "#" not in once
    assert once.startswith("https://example.com")


def test_canonical_url_examples() -> None:
    assert (
        canonical_url("http://www.Example.com/news/story/amp/?utm_source=rss&id=3#top")
        == "https://example.com/news/story?id=3"
    )
    assert canonical_url("javascript:alert(1)") is None


_WORD_BITS = st.sampled_from(
    ["chip", "Chip", "CHIPS", "export", " ", "-", ".", "+", "c++", "ß", "İ", "é", "芯片", "出口",
     "管制", "GPT-5", "5", "_", "a", "\n", "(", "*", "\\", "$"]
)  # fmt: skip
_WORDS = st.lists(_WORD_BITS, max_size=3).map("".join)


@given(st.lists(_WORDS, max_size=6), st.lists(_WORD_BITS, max_size=20).map("".join))
def test_one_search_for_any_keyword_finds_what_a_search_per_keyword_finds(
    words: list[str], text: str
) -> None:
    from bot.rules.match import _found, _word_pattern

    assert _found(words, text) == [w for w in words if _word_pattern(w).search(text)]
