"""Release kind on real headlines: what a headline says a piece is (a paper, a write-up, a
piece written around a release) decides over the model names and release words inside it."""

from __future__ import annotations

import pytest

from bot.attribution.classify import Classifier, Subject
from bot.attribution.registry import load_registry


@pytest.fixture(scope="module")
def classifier() -> Classifier:
    return Classifier(load_registry())


def kind_of(classifier: Classifier, title: str, summary: str = "") -> str:
    return classifier.classify(Subject(title=title, summary=summary)).kind


@pytest.mark.parametrize(
    ("title", "summary", "kind"),
    [
        # a technical report or a reading of a paper: research, though the summary retells
        # the release and the headline names a versioned model
        (
            "STEP3-VL-10B Technical Report",
            "We present STEP3-VL-10B, a lightweight open-source foundation model.",
            "research",
        ),
        (
            "Kimi K2.5 技术报告深度解读:当AI学会多线程思考",
            "2025年1月,月之暗面(Moonshot AI)发布了Kimi K2.5,这不仅仅是一次模型更新。",
            "research",
        ),
        (
            "吳恩達關注的Ling-1T背后,螞蟻Ling 2.0技術報告解密萬億模型開源配方",
            "Ling-1T 作為一個非推理模型,其性能卻直逼業界頂尖的閉源模型。",
            "research",
        ),
        # an explainer, a guide, an architecture write-up: other
        (
            "Meta Llama 4 Scout & Maverick — The Complete Production Guide",
            "On April 5, 2026, Meta released Llama 4 Scout and Llama 4 Maverick, the first "
            "open-weights natively multimodal models.",
            "other",
        ),
        (
            "DeepSeek-V4:算法架构",
            "4 月 24 日,DeepSeek 发布其最新版本技术报告,并同步开源代码与模型权重。",
            "other",
        ),
        (
            "Gemma 徹底解説: Gemma 3 の新機能",
            "Gemma 3 が新たにビジョン言語機能をサポート。",
            "other",
        ),
        ("通义千问视觉革命:Qwen-Image多模态模型深度解析与实战指南", "", "other"),
        # written before or after a release, not the release
        (
            "写在 Kimi K2 发布之后:再也不仅仅是 ChatBot",
            "前两天我们忙活了大半年的 Kimi K2 终于发布了。",
            "other",
        ),
        ("DeepSeek-R2發佈前,熱鍋上的“四小虎”", "", "other"),
        (
            '"카카오, AI 서비스 ‘카나나’ 공개… “단톡방 대화 맥락도 이해”" 분석',
            "궁금하신 주제나 글을 댓글 달아주시면 분석하겠습니다.",
            "other",
        ),
        ("What Chinese labs did after DeepSeek R1's release", "", "other"),
        # the release itself stays a release, whatever its summary explains
        (
            "DeepSeek Releases v3.1 Model with Hybrid Reasoning Architecture",
            "DeepSeek has released version V3.1 of its large language model.",
            "model_release",
        ),
        ("百度文心大模型4.5系列开源:技术解析与开发者指南", "", "model_release"),
        (
            "DeepSeek R1 正式开源(2025-01-20)",
            "DeepSeek-R1 正式发布并以 MIT 许可证完全开源。",
            "model_release",
        ),
    ],
)
def test_a_headline_frame_decides_over_the_model_it_names(
    classifier: Classifier, title: str, summary: str, kind: str
) -> None:
    assert kind_of(classifier, title, summary) == kind


@pytest.mark.parametrize(
    ("title", "kind"),
    [
        # a product named "...model <noun>" is that noun, not a model
        ("微软推出AI模型安全评级系统,云服务绑定安全标准", "product_launch"),
        # "strategy" is policy only when a government's or a nation's
        ("Gemma 3 270M徹底解説:最先端小型AIモデルの活用と選び方戦略", "other"),
        ("政府、AI戦略を閣議決定", "policy"),
        # Japanese, Korean and Chinese business words
        ("Sakana AIはなぜユニコーンとなったのか", "business"),
        ("OpenAIがLuxshareと協力、AIデバイスを模索", "business"),
    ],
)
def test_words_that_only_look_like_a_kind(classifier: Classifier, title: str, kind: str) -> None:
    assert kind_of(classifier, title) == kind


@pytest.mark.parametrize(
    ("title", "summary", "url", "kind"),
    [
        # a paper's page is research, whatever its title says
        (
            "ReFIne: A Framework for Trustworthy Large Reasoning Models",
            "Recent advances in long chain-of-thought reasoning have prioritized accuracy.",
            "https://huggingface.co/papers/2510.09062",
            "research",
        ),
        (
            "Group Think: Multiple Concurrent Reasoning Agents Collaborating at Token Level",
            "Recent advances in large language models (LLMs) have demonstrated the power of "
            "reasoning. This raises the question of latency.",
            "https://arxiv.org/abs/2505.11107",
            "research",
        ),
        # an abstract's opening says paper even without its page
        (
            "General Reasoning Requires Learning to Reason from the Get-go",
            "Large language models have shown utility. In this paper we propose a new method.",
            "https://example.com/p/1",
            "research",
        ),
        # "raises" is business only with money or a round
        ("Anthropic raises $13 billion at a $183 billion valuation", "", None, "business"),
        # a lawsuit, a trends report: other, whatever law or rule they mention
        ("伊隆.馬斯克與山姆.奧特曼就 OpenAI 未來展開法律訴訟", "", None, "other"),
        (
            "【DeepResearch Report】最新の生成AI動向レポート:主要企業・技術トレンド・規制の展望",
            "OpenAI や Anthropic、DeepSeek など、数多くの企業が大規模言語モデル(LLM)の"
            "開発にしのぎを削っており、各国の規制も進んでいる。",
            None,
            "other",
        ),
    ],
)
def test_what_a_page_or_an_abstract_says_it_is(
    classifier: Classifier, title: str, summary: str, url: str | None, kind: str
) -> None:
    result = classifier.classify(Subject(title=title, summary=summary, url=url))
    assert result.kind == kind, result.reasons


@pytest.mark.parametrize(
    ("title", "kind"),
    [
        # rules in French, German, Spanish, Japanese and Korean
        ("Lignes directrices sur les obligations des fournisseurs de modèles d'IA", "policy"),
        ("Kommission veröffentlicht Leitlinien für KI-Modelle", "policy"),
        ("España aprueba el reglamento de inteligencia artificial", "policy"),
        ("政府、生成AIの利用ガイドラインを閣議決定", "policy"),
        ("과기정통부, 'AI기본법 시행령' 입법예고", "policy"),
        # a milestone of a model already out is not its release
        ("阿里Qwen3开源模型全球下载突破6亿次", "other"),
        ("ChatGPT tops 800 million weekly users", "other"),
    ],
)
def test_rules_in_other_languages_and_milestones(
    classifier: Classifier, title: str, kind: str
) -> None:
    assert kind_of(classifier, title) == kind


@pytest.mark.parametrize(
    ("title", "kind"),
    [
        ("Pedro Sánchez presenta la IA oficial de España", "model_release"),
        ("Mistral lanza un nuevo modelo de razonamiento", "model_release"),
        ("Maritaca AI lança novo modelo Sabiá-3", "model_release"),
    ],
)
def test_releases_in_spanish_portuguese_and_italian(
    classifier: Classifier, title: str, kind: str
) -> None:
    assert kind_of(classifier, title) == kind


@pytest.mark.parametrize(
    ("title", "kind"),
    [
        # "large model" alone is a piece about models, not a release
        ("百度文心一言破局:AI大模型赛道的技术突围与生态构建", "other"),
        ("大模型面试--大模型(LLMs)基础面", "other"),
        ("OpenAI终于open了!开放权重模型,AI江湖再掀风云?", "model_release"),
        ("Mistral Défie les Géants avec ses Nouveaux Modèles IA", "model_release"),
        # companies founded, devices in development, a State Council opinion
        ("サウジアラビア、国家AI企業「Humain」を設立", "business"),
        ("Meta、顔認識AI付きスマートグラスを開発中", "product_launch"),
        ("国务院关于深入实施“人工智能+”行动的意见", "policy"),
    ],
)
def test_generic_words_and_document_types(classifier: Classifier, title: str, kind: str) -> None:
    assert kind_of(classifier, title) == kind


def test_kind_confidence_drops_when_the_evidence_disagrees(classifier: Classifier) -> None:
    plain = classifier.classify(
        Subject(
            title="Alibaba releases Qwen3, a family of open-weight models",
            summary="Alibaba released Qwen3, eight open-weight models under Apache 2.0.",
        )
    )
    framed = classifier.classify(
        Subject(
            title="Gemini 2.5 Pro: A Deep Dive into Google's Next-Generation AI",
            summary="Google released Gemini 2.5 Pro, its most capable model, in March.",
        )
    )
    assert (plain.kind, framed.kind) == ("model_release", "other")
    assert framed.kind_confidence < plain.kind_confidence
    assert plain.kind_confidence >= 0.8, plain.reasons


@pytest.mark.parametrize(
    ("title", "kind"),
    [
        # "plan" is policy only as a government's or a nation's plan
        ("연내 계획했던 카카오 AI 모델 공개, 사실상 내년으로", "model_release"),
        ("英国の野心的なAI成長計画、ネットゼロ達成への懸念喚起", "policy"),
        # an award, a "what is" explainer in other languages
        ("Rakuten AI model receives IT Award from Japan Institute", "other"),
        ("O que é um chatbot? Entenda a tecnologia por trás da IA generativa", "other"),
        ("What DeepSeek V4 means for Nvidia", "other"),
        ("Why Qwen3's licence matters for enterprises", "other"),
        # leaderboards and evaluation platforms in any script
        ("Nejumi LLMリーダーボード Neo", "benchmark"),
        ("OpenCompass: A Universal Evaluation Platform for Large Language Models", "benchmark"),
        # an open-source framework is open source, even when it is rolled out
        (
            "IBM rolls out CodeFlare, an open-source framework for machine learning apps",
            "open_source",
        ),
        # an explainer of a new company is an explainer
        ("ソフトバンクが国産AI新会社を設立した背景と目的を徹底解説", "other"),
    ],
)
def test_plans_awards_leaderboards_and_frameworks(
    classifier: Classifier, title: str, kind: str
) -> None:
    assert kind_of(classifier, title) == kind


@pytest.mark.parametrize(
    ("title", "kind"),
    [
        # a court case is other, whatever law it cites
        ("梁某与某科技公司网络侵权责任纠纷一案", "other"),
        ("OpenAI must face authors' claims, court rules", "other"),
        # a guide to a rule is about the rule
        ("【徹底解説】「AI事業者ガイドライン」活用の手順と要諦", "policy"),
    ],
)
def test_court_cases_and_guides_to_rules(classifier: Classifier, title: str, kind: str) -> None:
    assert kind_of(classifier, title) == kind


@pytest.mark.parametrize(
    ("title", "summary", "url", "kind"),
    [
        # a paper's summary on any site's paper pages, or an abstract's opening
        (
            "EXAONE 3.0 7.8B Instruction Tuned Language Model",
            "We introduce EXAONE 3.0 instruction-tuned language model, the first open model "
            "in the family of Large Language Models (LLMs) developed by LG AI Research.",
            "https://sandbox.awsmpapers.org/papers/exaone-30-78b-instruction-tuned",
            "research",
        ),
        (
            "[Literature Review] Yi: Open Foundation Models by 01.AI",
            'The paper "Yi: Open Foundation Models" introduces the Yi model family.',
            "https://www.themoonlight.io/review/yi-open-foundation-models-by-01ai",
            "research",
        ),
        (
            "Yi: Offene Grundlagenmodelle von 01.AI",
            "Wir stellen die Yi-Modellfamilie vor, eine Reihe von Sprachmodellen.",
            "https://www.chatpaper.ai/de/dashboard/paper/7762d119",
            "research",
        ),
        # a whitepaper section is not a paper page
        (
            "Acme ships its new AI app for phones",
            "The app is available today.",
            "https://example.com/whitepapers/acme-app",
            "product_launch",
        ),
        # a licence to sell chips is policy
        (
            "Commerce Dept.'s backlog reportedly has suspended Nvidia's H20 chip licenses",
            "",
            None,
            "policy",
        ),
    ],
)
def test_papers_anywhere_and_chip_licences(
    classifier: Classifier, title: str, summary: str, url: str | None, kind: str
) -> None:
    result = classifier.classify(Subject(title=title, summary=summary, url=url))
    assert result.kind == kind, result.reasons
