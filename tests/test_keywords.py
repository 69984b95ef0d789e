"""The keyword index decides most patterns at the automaton's hit, without their regex: it
must find exactly what running every regex over the text finds."""

from __future__ import annotations

import pytest

from bot.attribution.keywords import KeywordIndex, _Plain
from bot.attribution.kinds import _INDEX
from bot.attribution.matcher import AI_CONTEXT

TEXTS = [
    "US lawmakers propose new laws; lawsuit over LAW's reach, law_ and bans, BANS, bansx",
    "Zhipu files for IPO. IPOs, ipo-bound; raise, raised, raises, fundraiser",
    "Übernahme, übernahme, ÜBERNAHME: OpenAI übernimmt ein Start-up",
    "阿里巴巴完成新一轮融资，估值超过300亿美元；實體清單與出口管制",
    "DeepSeek-V3.2 tops the leaderboard; benchmarks and 235B parameters, GPUs and A.I.",
    "Kling 2.1 text-to-video model rolls out; 模型 发布 開源 モデル 公開 모델 공개",
    "a model, models, modelle, modèles; the LLM's weights; open-weights; open weight",
    "series B, Series K, seriesb, $40B, 7B, 0.5B, 1.5b",
    "",
    "s",
    "ab",
]


def _brute(index: KeywordIndex[object], text: str) -> dict[object, set[str]]:
    out: dict[object, set[str]] = {}
    for label, pattern in [*index._always, *index._indexed]:
        for match in pattern.finditer(text):
            out.setdefault(label, set()).add(match.group(0).lower())
    return out


@pytest.mark.parametrize("text", TEXTS)
@pytest.mark.parametrize("index", [_INDEX, AI_CONTEXT], ids=["kinds", "ai-context"])
def test_the_index_finds_what_every_regex_finds(index: KeywordIndex[object], text: str) -> None:
    expected = _brute(index, text)
    assert index.find(text) == expected
    assert index.any(text) is bool(expected)


@pytest.mark.parametrize(
    ("pattern", "plain"),
    [
        ("\\bfunding\\b", True),
        ("\\blaws?\\b", True),
        ("融资", True),
        ("\\bacquir", True),
        ("export (control|curb)s?", False),
        ("\\$\\d", False),
        ("\\bNo\\. ?1\\b", False),
        ("a", False),  # too short for the index: it runs as a regex on every text
    ],
)
def test_which_patterns_skip_their_regex(pattern: str, plain: bool) -> None:
    assert (_Plain.parse(pattern) is not None) is plain


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("New laws", {"laws"}),
        ("the law.", {"law"}),
        ("lawsuit", None),
        ("outlaws", None),
        ("LAWS", {"laws"}),
        ("law", {"law"}),
        ("laws", {"laws"}),
    ],
)
def test_an_optional_last_letter_and_word_boundaries(text: str, found: set[str] | None) -> None:
    index = KeywordIndex([("law", "\\blaws?\\b")])
    assert index.find(text).get("law") == found
