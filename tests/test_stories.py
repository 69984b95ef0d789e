"""One release, one story: release keys in every spelling, and merging across sources."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from bot.attribution.classify import Classifier
from bot.attribution.registry import load_registry
from bot.cli.story_eval import evaluate_stories
from bot.config.loader import load_config
from bot.runtime.app import start_app
from bot.store.schema import Item, Story
from bot.stories.evaluate import load_story_examples, pair_mistakes, pair_scores
from bot.stories.keys import compatible, release_key
from bot.stories.release import families_of, item_release_key
from tests.conftest import LocalServer, rss
from tests.test_cli import racewatch

FAMILIES = families_of(load_registry())

SPELLINGS = [
    # (text, root organisation of the item, release key, or None)
    ("DeepSeek-R1 tops the App Store", "deepseek", "deepseek-r1"),
    ("DeepSeek R1 rattles Wall Street", "deepseek", "deepseek-r1"),
    ("Why R1 matters, from DeepSeek's founder", "deepseek", "deepseek-r1"),
    ("DeepSeek updates its V3.1 model", "deepseek", "deepseek-v3.1"),
    ("DeepSeek发布V3.1：混合推理架构，智能体能力大幅提升", "deepseek", "deepseek-v3.1"),
    ("深度求索发布DeepSeek-V3.1模型", "deepseek", "deepseek-v3.1"),
    ("OpenAI launches o3-pro for Pro users", "openai", "o3-pro"),
    ("Google ships Gemini 2.5 Flash", "google", "gemini-2.5-flash"),
    ("DeepSeek-V4-Flash-MLX-Q4Q8", "deepseek", "deepseek-v4-flash"),
    ("MoonshotAI: Kimi K2 Thinking", "moonshot", "kimi-k2-thinking"),
    ("Kimi-VL-A3B-Thinking-2506-GGUF", "moonshot", "kimi-vl-thinking-2506"),
    ("DeepSeek-R1-Distill-Qwen-7B-GGUF", "deepseek", "deepseek-r1"),
    ("月之暗面开源了自家最新模型 K2", "moonshot", "kimi-k2"),
    ("OpenAI's GPT-5.1 is warmer and smarter", "openai", "gpt-5.1"),
    ("GPT-5 is here", "openai", "gpt-5"),
    ("Qwen3-235B-A22B", "alibaba", "qwen-3"),
    ("Moonshot AI releases Kimi K2", "moonshot", "kimi-k2"),
    ("Kimi-K2-Instruct", "moonshot", "kimi-k2"),
    ("Zhipu open-sources GLM-4.5V", "zhipu", "glm-4.5v"),
    ("GLM-4.5-Air", "zhipu", "glm-4.5"),
    ("Meta's Llama 4 Scout fits on one GPU", "meta", "llama-4"),
    ("Llama-4-Maverick-17B-128E-Instruct-FP8", "meta", "llama-4"),
    ("Meta releases Llama 4, a new crop of flagship AI models", "meta", "llama-4"),
    ("通义千问Qwen3正式开源", "alibaba", "qwen-3"),
    ("阿里发布Qwen3，登顶全球开源模型", "alibaba", "qwen-3"),
    ("Qwen3-Coder-480B-A35B-Instruct", "alibaba", "qwen-3-coder"),
    ("Qwen3-235B-A22B-Instruct-2507-FP8", "alibaba", "qwen-3-2507"),
    ("DeepSeek-R1-0528", "deepseek", "deepseek-r1-0528"),
    ("DeepSeek-V3.1-GGUF", "deepseek", "deepseek-v3.1"),
    ("Meta-Llama-3.1-8B-Instruct", "meta", "llama-3.1"),
    ("claude-opus-4-1-20250805", "anthropic", "claude-4.1-opus"),
    ("Anthropic launches Claude Opus 4.1", "anthropic", "claude-4.1-opus"),
    ("Claude Opus 4 and Claude Sonnet 4: Cheat Sheet", "anthropic", "claude-4"),
    # a tier, an experiment, a product line or a small model is a release of its own
    ("Alibaba unveils Qwen 2.5-Max", "alibaba", "qwen-2.5-max"),
    ("Qwen2.5-7B-Instruct", "alibaba", "qwen-2.5"),
    ("GLM-4.7-Flash", "zhipu", "glm-4.7-flash"),
    ("Gemini 3.1 Flash-Lite is here", "google", "gemini-3.1-flash-lite"),
    ("GPT-5 Codex", "openai", "gpt-5-codex"),
    ("DeepSeek-V3.2-Experimental", "deepseek", "deepseek-v3.2-exp"),
    ("DeepSeek v3.2 Exp: sparse attention", "deepseek", "deepseek-v3.2-exp"),
    ("gemma-3-270m-it", "google", "gemma-3-270m"),
    ("gemma-3-12b-it", "google", "gemma-3"),
    ("glm-4-9b-chat-1m", "zhipu", "glm-4"),
    ("Anthropic releases Claude Haiku 4.5", "anthropic", "claude-4.5-haiku"),
    ("LongCat-Flash-Lite", "meituan", "longcat-flash-lite"),
    ("deepseek-vl2", "deepseek", "deepseek-vl2"),
    ("DeepSeek-OCR-2", "deepseek", "deepseek-2-ocr"),
    ("DeepSeek-OCR", "deepseek", "deepseek-ocr"),
    ("Llama 3.3 70B Instruct Turbo", "meta", "llama-3.3"),
    ("Amazon Nova 2 Lite", "amazon", "nova-2-lite"),
    ("Tencent launches Hunyuan T1", "tencent", "hunyuan-t1"),
    ("腾讯发布混元T1正式版", "tencent", "hunyuan-t1"),
    ("百度发布文心大模型X1", "baidu", "ernie-x1"),
    ("Nvidia T4 GPUs sell out", "nvidia", None),
    ("Mistral AI launches Small 3.1, a multimodal model", "mistral", "mistral-3.1-small"),
    ("Mistral Small 3.1: The Multimodal Leap", "mistral", "mistral-3.1-small"),
    ("Reka Flash 3", "reka-ai", "reka-3-flash"),
    ("Mistral-Small-24B-Instruct-2501", "mistral", "mistral-2501-small"),
    ("gemma-3n-E4B-it-litert-preview", "google", "gemma-3n-preview"),
    ("gpt-oss-120b", "openai", "gpt-oss"),
    ("Mistral-7B-Instruct-v0.3", "mistral", "mistral-v0.3"),
    ("MiniMax-M1-80k", "minimax", "minimax-m1"),
    # another organisation's model named in passing gives no key
    ("OpenAI's GPT-5 beats DeepSeek R1 on math", "openai", "gpt-5"),
    ("Nvidia's Llama-3.1-Nemotron-70B tops the chart", "nvidia", "nemotron"),
    ("DeepSeek's rise worries Washington", "deepseek", None),
    ("A new model from nowhere, version 2.0", None, None),
]


@pytest.mark.parametrize(("text", "org", "expected"), SPELLINGS)
def test_a_release_has_one_key_however_it_is_written(
    text: str, org: str | None, expected: str | None
) -> None:
    key = release_key(text, FAMILIES, org, repo=text.isascii() and " " not in text)
    assert (key.release if key else None) == expected


def test_a_model_line_without_a_version_is_a_key_only_in_a_model_announcement() -> None:
    def rel(text: str, org: str, announces: bool) -> str | None:
        key = release_key(text, FAMILIES, org, announces=announces)
        return key.release if key else None

    assert rel("Mistral AI releases its first reasoning model Magistral", "mistral", True) == (
        "magistral"
    )
    assert rel("Magistral tops a reasoning chart", "mistral", False) is None
    # an organisation's own name or usual family names too many releases to be one
    assert rel("DeepSeek releases a new model", "deepseek", True) is None
    assert rel("OpenAI ships a GPT model", "openai", True) is None


def test_a_hub_id_named_after_another_accounts_repo_is_that_repo() -> None:
    registry = load_registry()
    hub = {"repo_id": "bartowski/deepseek-ai_DeepSeek-V3-0324-GGUF"}
    key = item_release_key(hub["repo_id"], hub, None, registry, FAMILIES)
    assert key is not None and key.release == "deepseek-v3-0324"


def test_near_misses_of_one_organisation_are_different_releases() -> None:
    def rel(text: str, org: str) -> str | None:
        key = release_key(text, FAMILIES, org)
        return key.release if key else None

    assert rel("DeepSeek-V3", "deepseek") != rel("DeepSeek-V3.1", "deepseek")
    assert rel("Qwen3 is out", "alibaba") != rel("Qwen3-Coder is out", "alibaba")
    assert rel("GLM-4.5 is out", "zhipu") != rel("GLM-4.5V is out", "zhipu")
    assert rel("DeepSeek-R1-0528 update", "deepseek") != rel("DeepSeek-R1 launch", "deepseek")
    assert rel("Kimi K2 Thinking", "moonshot") != rel("Kimi K2", "moonshot")


def test_a_tier_of_its_own_is_another_release_than_its_version_and_its_siblings() -> None:
    # o3 and o3-pro, GLM-4.7 and GLM-4.7-Flash, Qwen2.5 and Qwen2.5-Max came out weeks apart
    assert compatible("gemini-2.5-flash", "gemini-2.5-flash")
    assert not compatible("gemini-2.5-flash", "gemini-2.5")
    assert not compatible("o3", "o3-pro")
    assert not compatible("gemini-2.5-flash", "gemini-2.5-pro")
    assert not compatible("gemini-2.5", "gemini-3")


def _item(title: str, guid: str, link: str, summary: str = "") -> dict[str, Any]:
    return {"title": title, "guid": guid, "link": link, "summary": summary}


async def test_one_release_from_every_kind_of_source_is_one_alert(
    server: LocalServer, tmp_path: Path, write_config: Callable[[dict[str, Any]], Path]
) -> None:
    """English and Chinese coverage, a hub upload and a leaderboard entry of one release make
    one story; another lab's entry on the same leaderboard page never joins it."""
    out = tmp_path / "alerts.jsonl"
    for name in ("en", "zh", "board"):
        server.set(f"/{name}.xml", rss([]))
    server.set("/api/models", json.dumps([]))
    settings = {
        "sources": [
            {"name": name, "url": server.url(f"/{name}.xml")} for name in ("en", "zh", "board")
        ]
        + [{"name": "hf-deepseek", "type": "huggingface", "org": "deepseek-ai"}],
        "hub": {"huggingface_endpoint": server.base},
        "destinations": {"file": {"type": "jsonl", "path": str(out)}},
        "rules": [{"name": "race", "when": {"countries_involved": ["CN", "US"]}}],
    }
    app = await start_app(load_config(write_config(settings), env={}))
    try:
        await app.poll_once(force=True)  # silent baseline
        server.set(
            "/en.xml",
            rss([_item("DeepSeek releases V3.1 with a hybrid thinking mode", "e", "https://e/1")]),
        )
        server.set(
            "/zh.xml",
            rss([_item("DeepSeek发布V3.1：混合推理架构，智能体能力大幅提升", "z", "https://z/1")]),
        )
        board = "https://lmarena.ai/leaderboard/text"
        server.set(
            "/board.xml",
            rss(
                [
                    _item("deepseek-v3.1 (DeepSeek) enters the LMArena top 10 at #8", "b1", board),
                    _item("gpt-5-high (OpenAI) is the new #1 on the LMArena", "b2", board),
                ]
            ),
        )
        server.set(
            "/api/models",
            json.dumps(
                [
                    {
                        "id": "deepseek-ai/DeepSeek-V3.1",
                        "createdAt": "2026-11-28T00:00:00.000Z",
                        "downloads": 300,
                        "likes": 40,
                        "pipeline_tag": "text-generation",
                        "tags": ["license:mit"],
                    }
                ]
            ),
        )
        await app.poll_once(force=True)
        assert app.sessions is not None
        with app.sessions.begin() as session:
            rows = session.execute(
                select(Item.title, Item.story_reason, Story.id, Story.release_key, Story.org).join(
                    Story, Story.id == Item.story_id
                )
            ).all()
    finally:
        await app.close()
    by_title = {r.title: r for r in rows}
    deepseek = {r.id for r in rows if "V3.1" in r.title or "v3.1" in r.title}
    assert len(deepseek) == 1, rows
    gpt5 = by_title["gpt-5-high (OpenAI) is the new #1 on the LMArena"]
    assert gpt5.id not in deepseek and gpt5.org == "openai" and gpt5.release_key == "gpt-5"
    assert "about openai, the story about deepseek" in (gpt5.story_reason or "")
    joined = [
        r.story_reason for r in rows if r.id in deepseek and "new story" not in r.story_reason
    ]
    assert joined and all("deepseek-v3.1" in (why or "") for why in joined)
    titles = [a["title"] for a in map(json.loads, out.read_text().splitlines())]
    assert len([t for t in titles if "V3.1" in t or "v3.1" in t]) == 1, titles


@pytest.mark.slow
def test_classify_shows_the_release_key(tmp_path: Path) -> None:
    result = racewatch("classify", "阿里发布Qwen3，全面开源", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "release key: 'qwen-3' (alibaba" in result.stdout


def test_pairwise_scores_count_every_pair_once() -> None:
    # gold: a a b; got: one story for all three -> 1 right pair, 2 wrong merges
    merged = pair_scores(["a", "a", "b"], [1, 1, 1])
    assert (merged.true_pairs, merged.false_pairs, merged.missed_pairs) == (1, 2, 0)
    assert merged.precision == pytest.approx(1 / 3) and merged.recall == 1.0
    split = pair_scores(["a", "a", "b"], [1, 2, 3])
    assert split.precision == 1.0 and split.recall == 0.0


REAL = Path(__file__).parent / "data" / "real"


@pytest.mark.slow
def test_stories_meet_the_targets_on_the_real_test_corpus() -> None:
    """Real headlines (English, Chinese, Korean, ...) and hub ids of one release share a
    story; different releases (near misses of one lab too) do not."""
    examples = load_story_examples(REAL / "stories_test.jsonl")
    scores, stories = evaluate_stories(Classifier(load_registry()), examples)
    mistakes = pair_mistakes(examples, stories)
    assert scores.precision >= 0.98, mistakes
    assert scores.recall >= 0.90, mistakes


@pytest.mark.slow
def test_eval_command_reports_story_precision_and_recall(tmp_path: Path) -> None:
    result = racewatch("eval", cwd=tmp_path)
    assert "stories_test.jsonl" in result.stdout and "recall" in result.stdout
    assert "story targets on the test half" in result.stdout
