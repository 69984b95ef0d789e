"""The classes of error issue 13 found on real text, one behaviour each: everyday words that
are AI names, policy that belongs to the acting government, foils, "China's <Org>", weak
origin evidence, kinds, and confidence that means something."""

from __future__ import annotations

import pytest

from bot.attribution.classify import Classifier, Subject
from bot.attribution.registry import load_registry


@pytest.fixture(scope="module")
def classifier() -> Classifier:
    return Classifier(load_registry())


def classify(classifier: Classifier, title: str, summary: str = "", url: str | None = None):  # type: ignore[no-untyped-def]
    return classifier.classify(Subject(title=title, summary=summary, url=url))


@pytest.mark.parametrize(
    ("title", "summary"),
    [
        ("The Mistral wind in Provence", "A strong cold wind blows down the Rhône valley."),
        ("Phi Beta Kappa inducts 40 students", "The honour society welcomed its new members."),
        ("Jamba Juice opens in Manila", "The smoothie chain's first store in the Philippines."),
        ("Sora drops a new single", "The singer's album is out on Friday, with an app exclusive."),
        ("Biden relaunches the Cancer Moonshot", "The White House programme funds research."),
        ("论儒家思想对刘勰《文心雕龙》创作的影响", "《文心雕龙》是一部伟大的文学理论著作。"),
        (
            "Xiaomi recalls 110,000 SU7 cars over a driver-assist flaw",
            "The recall follows a crash.",
        ),
        ("Samsung Galaxy S25 goes on sale in Seoul", "Queues formed outside stores."),
        ("混元太极拳比赛在陈家沟举行", "来自全国的选手参加了比赛。"),
    ],
)
def test_everyday_words_that_are_ai_names_need_real_ai_context(
    classifier: Classifier, title: str, summary: str
) -> None:
    result = classify(classifier, title, summary)
    assert result.primary_country is None, result.reasons


def test_the_same_names_count_when_the_text_is_about_ai(classifier: Classifier) -> None:
    assert (
        classify(classifier, "Qwen2.5-VL-72B released with document parsing").primary_org == "qwen"
    )
    assert classify(classifier, "Stripe raises $6B at a $91B valuation").primary_country is None
    entity_list = classify(classifier, "美国商务部将数十家中国企业列入实体清单")
    assert (entity_list.kind, entity_list.primary_country) == ("policy", "US")
    assert classify(classifier, "Mistral releases a new open-weights model").primary_country == "FR"
    assert classify(classifier, "Sora video model comes to Android").primary_country == "US"


@pytest.mark.parametrize(
    ("title", "country"),
    [
        ("China's chip firms hit by new US export controls on AI chips", "US"),
        ("Commerce Dept. suspends Nvidia H20 chip export licences", "US"),
        ("美国工业和安全局将多家中国芯片企业列入实体清单", "US"),
        ("Huawei added to Entity List by Commerce Department over AI chips", "US"),
        ("EU AI Office publishes draft code of practice for general-purpose AI models", "EU"),
        ("中国网信办发布生成式人工智能服务管理暂行办法", "CN"),
        ("Nvidia preps return to China as Trump administration lifts AI chip ban", "US"),
    ],
)
def test_policy_goes_to_the_acting_government(
    classifier: Classifier, title: str, country: str
) -> None:
    result = classify(classifier, title)
    assert (result.kind, result.primary_country) == ("policy", country), result.reasons


def test_a_model_name_with_its_version_counts_in_any_case(classifier: Classifier) -> None:
    result = classify(classifier, "大模型新动态:qwen2.5-max性能超越,为何成开发者新焦点?")
    assert (result.primary_country, result.primary_org) == ("CN", "qwen"), result.reasons
    result = classify(classifier, "STEP3-VL-10B Technical Report", "We present a 10B model.")
    assert result.primary_org == "stepfun", result.reasons
    assert classify(classifier, "step-1 of the guide: unpack the box").primary_country is None


@pytest.mark.parametrize(
    ("title", "org"),
    [
        ("美團開源5600億參數MoE大模型LongCat-Flash", "meituan"),
        ("輝達發表新一代AI晶片", "nvidia"),
        ("騰訊混元開源新模型", "tencent"),
        ("ディープマインドが新しいAIモデルを発表", "deepmind"),
        ("미드저니 V7 영상 생성 AI 모델 공개", "midjourney"),
    ],
)
def test_names_abroad_traditional_characters_and_katakana(
    classifier: Classifier, title: str, org: str
) -> None:
    result = classify(classifier, title)
    assert result.primary_org == org, result.reasons


def test_a_feed_item_that_is_a_model_page_is_judged_as_an_upload(classifier: Classifier) -> None:
    result = classify(
        classifier,
        "unsloth/Kimi-K2-Thinking-GGUF",
        url="https://huggingface.co/unsloth/Kimi-K2-Thinking-GGUF",
    )
    assert (result.primary_org, result.release) == ("moonshot", False), result.reasons
    assert classify(classifier, "AC/DC tour dates", url="https://example.com/acdc").kind == "other"


def test_an_item_that_is_not_about_ai_has_no_kind(classifier: Classifier) -> None:
    result = classify(
        classifier,
        "SpaceX launches Falcon 9, carrying 23 Starlink satellites",
        "SpaceX launched its Falcon 9 rocket into low-Earth orbit from Florida.",
    )
    assert (result.primary_country, result.kind) == (None, "other"), result.reasons


def test_a_foil_is_not_the_subject(classifier: Classifier) -> None:
    result = classify(classifier, "OpenAI rival Moonshot AI launches Kimi K2 model")
    assert (result.primary_country, result.primary_org) == ("CN", "moonshot"), result.reasons
    result = classify(classifier, "A ChatGPT killer? Baidu unveils Ernie 5 model")
    assert result.primary_org == "baidu", result.reasons


def test_an_apposition_rival_is_the_subject_and_an_owned_product_is_one_reference(
    classifier: Classifier,
) -> None:
    result = classify(classifier, "Nvidia rival Cambricon posts record revenue on AI chip demand")
    assert result.primary_org == "cambricon", result.reasons
    result = classify(classifier, "Apple taps Alibaba's Qwen for iPhone AI in China")
    assert result.primary_org == "apple", result.reasons


@pytest.mark.parametrize(
    ("title", "country"),
    [
        ("Trump signs executive order on AI preemption", "US"),
        ("Le gouvernement américain restreint les exportations de puces IA vers la Chine", "US"),
        ("Die chinesische Regierung verbietet Nvidia-KI-Chips in Rechenzentren", "CN"),
    ],
)
def test_governments_named_by_their_head_or_in_other_languages_act(
    classifier: Classifier, title: str, country: str
) -> None:
    result = classify(classifier, title)
    assert (result.kind, result.primary_country) == ("policy", country), result.reasons


@pytest.mark.parametrize(
    ("title", "org"),
    [
        ("“구글·MS 잡겠다” 네이버 1조 AI투자", "naver"),
        ('"OpenAI is finished": DeepSeek founder says new model beats GPT-5', "deepseek"),
        ("“DeepSeek 时刻”再现:阿里发布Qwen3模型", "alibaba"),
        ("马斯克xAI发布Grok 4.20:推理能力反超GPT-5.4,语音模型同步上线", "xai"),
    ],
)
def test_names_in_an_opening_quotation_are_what_someone_said(
    classifier: Classifier, title: str, org: str
) -> None:
    result = classify(classifier, title)
    assert result.primary_org == org, result.reasons


def test_a_country_before_an_organisation_means_the_organisation(classifier: Classifier) -> None:
    result = classify(classifier, "China's Zhipu AI releases GLM-4.6 model")
    assert (result.primary_country, result.primary_org) == ("CN", "zhipu"), result.reasons


def test_weak_origin_evidence_gives_a_country_at_lower_confidence(classifier: Classifier) -> None:
    weak = classify(classifier, "A Hangzhou-based start-up releases a new open-source AI model")
    assert weak.primary_country == "CN", weak.reasons
    strong = classify(classifier, "DeepSeek releases a new open-source AI model")
    assert weak.confidence < strong.confidence
    founder = classify(classifier, "Liang Wenfeng says the next AI model is coming")
    assert founder.primary_org == "deepseek" and founder.confidence < strong.confidence


@pytest.mark.parametrize(
    ("title", "kind"),
    [
        ("Huawei unveils Ascend 950 AI chips", "product_launch"),
        ("US tightens export controls on Nvidia AI chips to China", "policy"),
        ("Kappa approach to happen soon in AI research paper", "research"),
        ("Mistral AI raises €600 million in new funding round", "business"),
        ("Mistral AI réalise une levée de fonds de 600 millions d'euros", "business"),
        ("DeepSeek-V2", "model_release"),
        ("DeepSeek\u2011V3.2 正式发布概览", "model_release"),
        ("Nvidia Blackwell平台刷新推理性能纪录", "benchmark"),
        ("OpenAI、初の自社開発AIハードウェアを正式発売へ", "product_launch"),
        ("Baidu 2025 results beat forecasts as cloud revenue grows", "business"),
        ("US bars Nvidia from selling H20 chips to China", "policy"),
        ("DeepSeek cuts API prices by 75%, sparking a price war", "business"),
        ("Sakana AI、シリーズBで200億円を調達", "business"),
        ("Qwen3 技术报告发布", "research"),
        ("工信部印发人形机器人创新发展指导意见", "policy"),
        ("美團開源5600億參數MoE大模型LongCat-Flash", "model_release"),
        ("摩爾線程完成新一輪融資", "business"),
        ("美國商務部擴大對華晶片出口管制", "policy"),
    ],
)
def test_kinds(classifier: Classifier, title: str, kind: str) -> None:
    assert classify(classifier, title).kind == kind


def test_wrong_or_unsure_answers_are_less_confident_than_sure_ones(classifier: Classifier) -> None:
    sure = classify(
        classifier, "DeepSeek releases DeepSeek-V3.2 model", url="https://deepseek.com/x"
    )
    nobody = classify(classifier, "A new AI model tops the benchmark charts")
    rivals = classify(classifier, "Alibaba and Google both ship new AI models this week")
    assert sure.confidence > rivals.confidence > nobody.confidence


@pytest.mark.parametrize(
    ("title", "summary", "country"),
    [
        # a foil in the lead is a comparison there too
        (
            "AI chip startups soak up $1.1B in funding",
            "Investors continue to back challengers to Nvidia.",
            None,
        ),
        ("Everyone wants their own AI chips", "Nvidia's competitors design their own.", None),
        # the names listed with a foil are foils as well
        ("A rival to OpenAI and Google raises $100M", "The model lab is two months old.", None),
        ("Former OpenAI researchers launch an AI lab", "Their first model is out.", None),
        # "the Taiwanese ChatGPT", "China's version of OpenAI": a comparison
        ("臺版ChatGPT會寫作翻譯", "模型將內建於電腦", None),
        # a foil next to a real subject leaves the subject
        ("Kuaishou unveils Kling 2.1 to rival Sora and Veo", "", "CN"),
    ],
)
def test_foils_in_headlines_and_leads_are_not_the_subject(
    classifier: Classifier, title: str, summary: str, country: str | None
) -> None:
    assert classify(classifier, title, summary).primary_country == country


@pytest.mark.parametrize(
    ("title", "summary", "country"),
    [
        # a platform named only in the lead says where, never who
        ("Language model training data: a guide", "Datasets you can find on Hugging Face.", None),
        ("Hugging Face releases SmolLM3, a small open model", "", "US"),
        # a government quoted as the source of a non-AI story is not its subject
        ("小米SU7交付量突破10万辆", "据工信部公告,小米汽车科技有限公司的新车获准销售。", None),
    ],
)
def test_platforms_and_quoted_governments_named_only_in_the_lead(
    classifier: Classifier, title: str, summary: str, country: str | None
) -> None:
    assert classify(classifier, title, summary).primary_country == country


@pytest.mark.parametrize(
    ("title", "country", "org"),
    [
        # weak origin in plurals and in other languages, when no organisation is named
        ("Chinese AI firms race to ship reasoning models", "CN", "cn-origin"),
        ("Les startups françaises d'IA générative lèvent 2 milliards", "FR", "fr-origin"),
        ("中国初创公司发布新的开源大模型", "CN", "cn-origin"),
        ("米スタートアップが新しいLLMを公開", "US", "us-origin"),
        # a name written without its space: "SakanaAI", "MoonshotAI"
        ("SakanaAIの最新研究からAGIまでの道筋を考える", "JP", "sakana"),
        ("MoonshotAI releases a new open-weights model", "CN", "moonshot"),
        # names in the languages that write about them
        ("CES: 現代自動車とNVIDIAがAIで提携", "KR", "hyundai"),
        ("松尾研、日英2ヵ国語対応の大規模言語モデル公開", "JP", "matsuo-lab"),
        ("臺版ChatGPT TAIDE會寫作翻譯", "TW", "taide"),
    ],
)
def test_origins_glued_names_and_names_abroad(
    classifier: Classifier, title: str, country: str, org: str
) -> None:
    result = classify(classifier, title)
    assert (result.primary_country, result.primary_org) == (country, org), result.reasons


def test_an_all_caps_model_name_counts_with_a_version_and_ai_context(
    classifier: Classifier,
) -> None:
    assert classify(classifier, "SOLAR 10.7B: scaling LLMs simply").primary_org == "upstage"
    assert classify(classifier, "SOLAR PANELS go on sale in Seoul").primary_country is None
