"""Attribution: who, which country, what kind, and why — without embarrassing matches."""

from __future__ import annotations

import pytest

from bot.attribution.classify import Classifier, Subject
from bot.attribution.registry import load_registry
from bot.items import HubFacts


@pytest.fixture(scope="module")
def classifier() -> Classifier:
    return Classifier(load_registry())


@pytest.mark.slow
def test_the_registry_is_large_and_covers_both_countries_and_others() -> None:
    registry = load_registry()
    countries = [o.country for o in registry.orgs.values()]
    assert len(registry) >= 120
    assert countries.count("CN") >= 40 and countries.count("US") >= 40
    assert len(set(countries) - {"CN", "US"}) >= 8
    assert registry.root(registry.orgs["qwen"]).id == "alibaba"


@pytest.mark.parametrize(
    ("headline", "country"),
    [
        ("Kuaishou unveils Kling 2.1 to rival Sora", "CN"),
        ("OpenAI launches Sora 2 app", "US"),
        ("阿里巴巴发布通义千问新模型", "CN"),
        ("字节跳动豆包大模型降价", "CN"),
        ("Mistral releases Magistral reasoning model", "FR"),
        ("DeepSeek-V3.1 adds hybrid thinking mode", "CN"),
    ],
)
def test_headline_subject_decides_the_country(
    classifier: Classifier, headline: str, country: str
) -> None:
    assert classifier.classify(Subject(title=headline)).primary_country == country


@pytest.mark.parametrize(
    "headline",
    [
        "Yield curves invert as bond markets wobble",
        "Kimi Räikkönen returns to the paddock",
        "How to clean metadata from your photos",
        "Apple pie recipes for the holidays",
        "Local bakery wins regional award",
    ],
)
def test_no_ai_organisation_means_no_country(classifier: Classifier, headline: str) -> None:
    result = classifier.classify(Subject(title=headline))
    assert result.primary_country is None and result.countries == ()


def test_ambiguous_names_count_in_an_ai_context(classifier: Classifier) -> None:
    result = classifier.classify(Subject(title="Kimi K2 tops open-model rankings for coding"))
    assert result.primary_org == "moonshot" and result.primary_country == "CN"
    apple = classifier.classify(Subject(title="Apple in talks to use Alibaba's AI models in China"))
    assert set(apple.countries) == {"US", "CN"}


def test_an_export_rule_aimed_at_chinese_chipmakers_involves_both_countries(
    classifier: Classifier,
) -> None:
    result = classifier.classify(
        Subject(
            title="Commerce Department adds SMIC units and Huawei suppliers to the Entity List",
            summary="The new export controls restrict sales of advanced chips to China.",
        )
    )
    assert result.primary_country == "US" and "CN" in result.countries
    assert result.kind == "policy"


def test_hub_namespace_attributes_to_the_parent_with_a_reason(classifier: Classifier) -> None:
    hub = HubFacts(
        hub="huggingface",
        repo_id="Qwen/Qwen3-235B-A22B",
        namespace="Qwen",
        params=235e9,
        licence="apache-2.0",
        pipeline_tag="text-generation",
    )
    result = classifier.classify(
        Subject(title="Qwen released Qwen3-235B-A22B on Hugging Face", hub=hub)
    )
    assert result.primary_country == "CN" and result.primary_org == "qwen"
    assert "Hugging Face namespace Qwen -> Alibaba (CN)" in result.reasons
    assert (
        result.open_weights == "yes" and result.licence == "apache-2.0" and result.params == 235e9
    )
    assert result.kind == "model_release" and result.modalities[0] == "text"


def test_a_third_party_quantisation_is_about_its_base_model_and_is_no_release(
    classifier: Classifier,
) -> None:
    hub = HubFacts(
        hub="huggingface",
        repo_id="someone/Qwen3-8B-GGUF",
        namespace="someone",
        base_models=("Qwen/Qwen3-8B",),
        derivative="quantized",
    )
    result = classifier.classify(
        Subject(title="someone released Qwen3-8B-GGUF on Hugging Face", hub=hub)
    )
    assert (result.primary_country, result.primary_org) == ("CN", "qwen")
    assert (result.derivative, result.base_model, result.uploader) == (
        "quantized",
        "Qwen/Qwen3-8B",
        "someone",
    )
    assert result.derivative_of == "Qwen/Qwen3-8B" and not result.release
    assert any("not a release" in r for r in result.reasons)


def test_the_source_domain_is_a_prior(classifier: Classifier) -> None:
    result = classifier.classify(
        Subject(title="Think deeper, act faster", url="https://qwenlm.github.io/blog/qwen3/")
    )
    assert result.primary_country == "CN"
    assert any("qwenlm.github.io" in r for r in result.reasons)


@pytest.mark.parametrize(
    ("text", "params"),
    [
        ("Qwen3-235B-A22B is here", 235e9),
        ("a 70 billion parameter model", 70e9),
        ("开源千亿参数模型，参数规模达2350亿参数", 235e9),
        ("Anthropic raises $13B", None),
    ],
)
def test_parameter_counts_from_text(
    classifier: Classifier, text: str, params: float | None
) -> None:
    assert classifier.classify(Subject(title=text)).params == params


@pytest.mark.parametrize(
    ("headline", "kind"),
    [
        ("Anthropic raises $13B Series F at a $183B valuation", "business"),
        ("Gemini 2.5 Pro tops the LMArena leaderboard", "benchmark"),
        ("US tightens export controls on AI chips to China", "policy"),
        ("Meta releases Llama 4 Scout and Maverick models", "model_release"),
        ("ByteDance launches Doubao app feature for video calls", "product_launch"),
    ],
)
def test_release_kind(classifier: Classifier, headline: str, kind: str) -> None:
    assert classifier.classify(Subject(title=headline)).kind == kind
