"""Hub uploads are about the model they carry: a community GGUF of Qwen3 is Chinese, names
its uploader, and is not a release (the gap, `latest` and ordinary rules leave it out)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.attribution.classify import Classifier, Subject
from bot.config.loader import load_config
from bot.runtime.app import load_org_registry, start_app
from bot.sources.huggingface import model_to_item
from bot.store import queries
from bot.store.stats import scoreboard
from tests.conftest import LocalServer
from tests.test_cli import racewatch

NOW = datetime(2026, 11, 28, 12, tzinfo=UTC)


@pytest.fixture(scope="module")
def classifier() -> Classifier:
    return Classifier(load_org_registry(load_config(None, env={})))


def record(repo: str, *tags: str, hours: float = 1, **extra: Any) -> dict[str, Any]:
    """A model as GET /api/models?expand[]=... returns it."""
    created = (datetime.now(UTC) - timedelta(hours=hours)).isoformat().replace("+00:00", "Z")
    return {
        "_id": f"id-{repo}",
        "id": repo,
        "author": repo.split("/")[0],
        "createdAt": created,
        "downloads": 10,
        "likes": 2,
        "pipeline_tag": "text-generation",
        "tags": ["transformers", *tags, "license:apache-2.0", "region:us"],
        **extra,
    }


CASES = [
    # repo, tags, extra -> country, organisation, derivative, release
    (record("Qwen/Qwen3-8B"), ("CN", "qwen", None, True)),
    (
        record("Qwen/Qwen3-8B-GGUF", "gguf", "base_model:quantized:Qwen/Qwen3-8B"),
        ("CN", "qwen", "quantized", True),
    ),
    (
        record("unsloth/Qwen3-8B-GGUF", "gguf", "base_model:quantized:Qwen/Qwen3-8B"),
        ("CN", "qwen", "quantized", False),
    ),
    # tagged "finetune", but a copy under the same name
    (
        record("unsloth/Qwen3-8B", "base_model:finetune:Qwen/Qwen3-8B"),
        ("CN", "qwen", "reupload", False),
    ),
    # no tags at all: the name says which model and how
    (record("mlx-community/Qwen3-8B-4bit", library_name="mlx"), ("CN", "qwen", "quantized", False)),
    (
        record("bartowski/deepseek-ai_DeepSeek-R1-0528-Qwen3-8B-GGUF", "gguf"),
        ("CN", "deepseek", "quantized", False),
    ),
    (record("LLM-Research/Meta-Llama-3-8B-Instruct"), ("US", "meta", "reupload", False)),
    # a hyphenated product name in the repository name ("Seed-OSS")
    (record("unsloth/Seed-OSS-36B-Instruct-GGUF", "gguf"), ("CN", "bytedance", "quantized", False)),
    # a lab's own variant name ("Thinking") kept by a plain copy is no fine-tune
    (record("unsloth/Kimi-K2-Thinking-BF16"), ("CN", "moonshot", "reupload", False)),
    # base model declared only in the card
    (
        record("someone/qwen2.5-7b-lora", cardData={"base_model": "Qwen/Qwen2.5-7B"}),
        ("CN", "qwen", "adapter", False),
    ),
    # a US company's quantisation of a Chinese model is still about the Chinese model
    (
        record("nvidia/DeepSeek-R1-FP4", "base_model:quantized:deepseek-ai/DeepSeek-R1"),
        ("CN", "deepseek", "quantized", False),
    ),
    # a lab's fine-tune on another lab's base stays the lab's release
    (
        record(
            "deepseek-ai/DeepSeek-R1-Distill-Qwen-7B",
            "base_model:finetune:Qwen/Qwen2.5-Math-7B",
        ),
        ("CN", "deepseek", "finetune", True),
    ),
    (
        record(
            "nvidia/Llama-3.1-Nemotron-70B-Instruct-HF",
            "base_model:finetune:meta-llama/Llama-3.1-70B-Instruct",
        ),
        ("US", "nvidia", "finetune", True),
    ),
    # an unknown account with an unknown model: nobody, and never the platform
    (record("someone/my-cool-model"), (None, None, None, True)),
]


@pytest.mark.parametrize(("raw", "expected"), CASES, ids=[c[0]["id"] for c in CASES])
@pytest.mark.slow
def test_hub_uploads_are_attributed_to_the_model_they_carry(
    classifier: Classifier, raw: dict[str, Any], expected: tuple[Any, ...]
) -> None:
    item = model_to_item(raw, "https://huggingface.co", NOW)
    assert item is not None and item.hub is not None
    result = classifier.classify(
        Subject(title=item.title, url=item.url, hub=item.hub, source_type="huggingface")
    )
    got = (result.primary_country, result.primary_org, result.derivative, result.release)
    assert got == expected, result.reasons
    assert result.uploader == raw["id"].split("/")[0]
    if not result.release:
        assert result.base_model and result.derivative_of == result.base_model
        assert any("not a release" in r for r in result.reasons)
    assert "hugging-face" not in result.orgs


def test_a_platforms_own_lab_releases_its_models_and_others_quantise_them(
    classifier: Classifier,
) -> None:
    def got(raw: dict[str, Any]) -> tuple[Any, ...]:
        item = model_to_item(raw, "https://huggingface.co", NOW)
        assert item is not None and item.hub is not None
        result = classifier.classify(
            Subject(title=item.title, url=item.url, hub=item.hub, source_type="huggingface")
        )
        return (result.primary_country, result.primary_org, result.derivative, result.release)

    assert got(record("HuggingFaceTB/SmolLM3-3B")) == ("US", "hugging-face", None, True)
    quant = record(
        "unsloth/SmolLM3-3B-GGUF", "gguf", "base_model:quantized:HuggingFaceTB/SmolLM3-3B"
    )
    assert got(quant) == ("US", "hugging-face", "quantized", False)


QUANTS = [
    record("unsloth/Qwen3-30B-A3B-GGUF", "gguf", "base_model:quantized:Qwen/Qwen3-30B-A3B"),
    record("bartowski/Qwen_Qwen3-30B-A3B-GGUF", "gguf"),
    record("mlx-community/Qwen3-30B-A3B-4bit", library_name="mlx"),
    record("lmstudio-community/Qwen3-30B-A3B-GGUF", "gguf"),
    record("someone/Qwen3-30B-A3B-AWQ", "base_model:quantized:Qwen/Qwen3-30B-A3B"),
]


def alerts(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [r for r in map(json.loads, path.read_text().splitlines()) if r["type"] == "alert"]


async def test_a_release_and_five_community_quantisations_count_once_as_chinese(
    server: LocalServer, tmp_path: Path, write_config: Callable[[dict[str, Any]], Path]
) -> None:
    server.set("/api/models", json.dumps([]))
    out, quants_out = tmp_path / "cn.jsonl", tmp_path / "quants.jsonl"
    config = write_config(
        dict(
            sources=[{"name": "hf", "type": "huggingface", "org": "Qwen"}],
            hub={"huggingface_endpoint": server.base},
            rules=[
                {"name": "cn", "when": {"country": "CN"}, "notify": ["cn"]},
                {"name": "us", "when": {"country": "US"}, "notify": ["cn"]},
                {"name": "quants", "when": {"derivative": "yes"}, "notify": ["quants"]},
            ],
            destinations={
                "cn": {"type": "jsonl", "path": str(out)},
                "quants": {"type": "jsonl", "path": str(quants_out)},
            },
        )
    )
    app = await start_app(load_config(config, env={}))
    try:
        await app.poll_once(force=True)  # the silent baseline
        release = record("Qwen/Qwen3-30B-A3B", hours=3)
        server.set("/api/models", json.dumps([*QUANTS, release]))
        await app.poll_once(force=True)
        assert app.sessions is not None
        with app.sessions.begin() as session:
            board = scoreboard(session, datetime.now(UTC), 7)
            rows = queries.latest(session, limit=10)
        counted = {line.country: line.releases for line in board.lines if line.releases}
        assert counted == {"CN": 1}
        assert [(r.title, r.country) for r in rows] == [
            ("Qwen released Qwen3-30B-A3B on Hugging Face", "CN")
        ]
        assert [a["title"] for a in alerts(out)] == ["Qwen released Qwen3-30B-A3B on Hugging Face"]
        # a rule that asks for derivatives gets each of them
        assert len(alerts(quants_out)) == len(QUANTS)
    finally:
        await app.close()
    # the namespaces nobody claims are listed for admins, with their counts
    shown = racewatch("-c", str(config), "orgs", "--unknown", cwd=tmp_path)
    assert shown.returncode == 0, shown.stderr
    for namespace in ("bartowski", "lmstudio-community", "mlx-community", "someone"):
        assert namespace in shown.stdout
    assert "unsloth" not in shown.stdout and "Qwen " not in shown.stdout
    assert "4 unknown hub namespaces (of 6 seen)" in shown.stdout


@pytest.mark.slow
def test_classify_batch_answers_each_line_in_order_and_names_bad_ones(tmp_path: Path) -> None:
    lines = [
        {"title": "DeepSeek releases DeepSeek-V3.2 with sparse attention", "summary": ""},
        "not json",
        {"huggingface": QUANTS[0]},
        {"title": 42},
        {
            "modelscope": {
                "id": "LLM-Research/Meta-Llama-3-8B-Instruct",
                "tasks": ["text-generation"],
            }
        },
    ]
    path = tmp_path / "in.jsonl"
    path.write_text("\n".join(x if isinstance(x, str) else json.dumps(x) for x in lines) + "\n")
    done = racewatch("classify", "--batch", str(path), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    got = [json.loads(line) for line in done.stdout.splitlines()]
    assert len(got) == len(lines)
    assert (got[0]["primary_country"], got[0]["primary_org"], got[0]["release"]) == (
        "CN",
        "DeepSeek",
        True,
    )
    assert got[1]["line"] == 2 and "not JSON" in got[1]["error"]
    assert (got[2]["primary_country"], got[2]["derivative"], got[2]["uploader"]) == (
        "CN",
        "quantized",
        "unsloth",
    )
    assert got[2]["base_model"] == "Qwen/Qwen3-30B-A3B" and got[2]["release"] is False
    assert got[3] == {"error": "'title' must be a non-empty string", "line": 4}
    assert (got[4]["primary_country"], got[4]["derivative"]) == ("US", "reupload")
    for field in ("countries", "orgs", "kind", "modality", "open_weights", "params_b"):
        assert field in got[0] and field in got[2]
    assert "2 line(s) could not be classified" in done.stderr
