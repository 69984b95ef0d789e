"""What kind of release an item is, its modalities, open weights, licence and size, from text.

Pure functions over title and summary (and hub facts when there are any), each returning
its reasons so ``racewatch classify`` and ``racewatch why`` can show them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from bot.attribution.hant import both_scripts, scripts
from bot.attribution.keywords import KeywordIndex, compile_ci
from bot.items import HubFacts


def _rx(*patterns: str) -> re.Pattern[str]:
    return compile_ci(*map(both_scripts, patterns))


_WORDS = yaml.safe_load(Path(__file__).with_name("words.yaml").read_text(encoding="utf-8"))
_LATIN_WORD = re.compile(r"[A-Za-z]+")


def _whole(pattern: str) -> str:
    """A bare Latin word ("App", "GPU") matches whole words only: "豆包App", never "happen"."""
    return rf"\b{pattern}\b" if _LATIN_WORD.fullmatch(pattern) else pattern


# Release verbs, as plain words the keyword index decides where it finds them
_RELEASE_VERBS = (
    *(
        rf"\b{word}\b"
        for word in (
            "release",
            "releases",
            "released",
            "launch",
            "launches",
            "launched",
            "unveil",
            "unveils",
            "unveiled",
            "introduces",
            "introduced",
            "debut",
            "debuts",
            "rolls out",
            "roll out",
            "drop",
            "drops",
            "arrive",
            "arrives",
            "open-sources",
            "open-sourced",
            "open sources",
            "open sourced",
            "ship",
            "ships",
            "is out",
            "is here",
            "is now available",
            "lance",
            "dévoile",
            "présente",
            "veröffentlicht",
            "präsentiert",
            "stellt",
            "lanza",
            "presenta",
            "estrena",
            "anuncia",
            "lança",
            "apresenta",
            "lancia",
            "rilascia",
        )
    ),
    *("发布", "推出", "上线", "开源", "発表", "公開", "リリース", "공개", "출시", "발표", "선보"),
)

# "写在 Kimi K2 发布之后", "DeepSeek-R2發佈前", "after GPT-5's launch", "downloads top 600
# million": a piece written around a release, not the release
_AROUND_RELEASES = (
    r"(发布|發佈|发布会|上线|开源|推出)(之后|以后|後|后|之前|前夕|前)",
    r"\b(after|before|ahead of|since|following)\s+(\S+\s+){0,4}"
    r"(release|launch|debut|unveiling|arrival)\b",
    r"(リリース|発表|公開)(後|前|以降|以前)",
    r"(출시|공개|발표) ?(후|전|이후|이전)",
    # a milestone of something already out: "下载突破6亿次", "ChatGPT tops 800 million users"
    r"(下载|用户|月活|日活)量?(突破|超过|超|破|达)",
    r"\b(downloads|users|subscribers)\s+(surpass|top|pass|hit|cross|exceed)",
    r"\b(surpass|top|pass|hit|cross|exceed)(es|ed|s)?\s+[\d.,]+\s*(million|billion|[mbk])?\s*"
    r"(weekly |monthly |daily )?(downloads|users|subscribers)",
)

_MODALITY_ORDER = list(_WORDS["modalities"])
# All evidence in one index, so each text is scanned once. Labels: (what, value, weight):
# ("kind", "policy", 4.0), ("modality", "video_gen", 0), ("open", "yes", 0).
Label = tuple[str, str, float]
_INDEX: KeywordIndex[Label] = KeywordIndex(
    [
        # Chinese words also in Traditional characters: one more entry each
        *(
            (("kind", kind, float(weight)), written)
            for kind, levels in _WORDS["kinds"].items()
            for weight, patterns in levels.items()
            for pattern in patterns
            for written in scripts(_whole(pattern))
        ),
        *(
            (("modality", m, 0.0), written)
            for m, patterns in _WORDS["modalities"].items()
            for p in patterns
            for written in scripts(_whole(p))
        ),
        *(
            (("open", a, 0.0), written)
            for a, patterns in _WORDS["open_weights"].items()
            for p in patterns
            for written in scripts(p)
        ),
        # what a headline does (only the headline's hits are read): releases something
        *((("frame", "verb", 0.0), written) for p in _RELEASE_VERBS for written in scripts(p)),
    ]
)
_VERB: Label = ("frame", "verb", 0.0)
_AROUND: Label = ("frame", "around", 0.0)
_AROUND_RELEASE = _rx(*_AROUND_RELEASES)
# what a headline around a release always contains: most headlines skip the regex
_AROUND_CUES = (
    *("after", "before", "ahead of", "since", "following", "download", "user", "subscriber"),
    *("后", "後", "前", "下载", "下載", "用户", "用戶", "月活", "日活", "후", "전"),
)
Hits = dict[Label, set[str]]


_CHIP = _rx(
    r"\b(chips?|GPUs?|processors?|accelerators?|NPUs?|superchips?|SoCs?|servers?)\b",
    "芯片",
    "处理器",
    "チップ",
    "칩",
)
_MODEL_WORD = _rx(r"\b(models?|LLMs?|weights)\b", "模型", "モデル", "모델")
_KIND_ORDER = [
    "policy",
    "model_release",
    "benchmark",
    "research",
    "business",
    "open_source",
    "product_launch",
    "other",
]
_KIND_RANK = {kind: rank for rank, kind in enumerate(_KIND_ORDER)}

_PIPELINE_MODALITY = {
    "text-generation": "text",
    "text2text-generation": "text",
    "conversational": "text",
    "feature-extraction": "text",
    "sentence-similarity": "text",
    "fill-mask": "text",
    "text-classification": "text",
    "translation": "text",
    "summarization": "text",
    "image-text-to-text": "vision",
    "image-to-text": "vision",
    "visual-question-answering": "vision",
    "image-classification": "vision",
    "object-detection": "vision",
    "image-segmentation": "vision",
    "depth-estimation": "vision",
    "zero-shot-image-classification": "vision",
    "text-to-image": "image_gen",
    "image-to-image": "image_gen",
    "unconditional-image-generation": "image_gen",
    "text-to-video": "video_gen",
    "image-to-video": "video_gen",
    "video-text-to-text": "vision",
    "text-to-speech": "audio",
    "automatic-speech-recognition": "audio",
    "text-to-audio": "audio",
    "audio-to-audio": "audio",
    "audio-classification": "audio",
    "any-to-any": "multimodal",
    "robotics": "robotics",
    "reinforcement-learning": "robotics",
}

_LICENCE = _rx(
    r"\b(Apache[- ]2\.0|Apache[- ]2|MIT|BSD-3-Clause|GPL-3\.0|CC[- ]BY[- ](NC[- ])?4\.0|"
    r"Llama \d(\.\d)? Community Licen[cs]e|Gemma Terms|OpenRAIL(-M)?)\b(?=[ -]?licen|\b)"
)
_PARAMS = re.compile(
    r"(?<![A-Za-z0-9$.])(\d{1,4}(?:\.\d{1,2})?)\s?(B|M|T)(?![a-zA-Z])"
    r"|(\d{1,4}(?:\.\d{1,2})?)\s?(billion|million|trillion)[- ]parameters?"
    r"|(\d{1,5}(?:\.\d{1,2})?)\s?(亿|万亿)参数"
)
_SCALE = {
    "B": 1e9,
    "M": 1e6,
    "T": 1e12,
    "billion": 1e9,
    "million": 1e6,
    "trillion": 1e12,
    "亿": 1e8,
    "万亿": 1e12,
}


@dataclass(frozen=True)
class KindResult:
    kind: str
    modalities: tuple[str, ...]
    open_weights: str
    licence: str | None
    params: float | None
    reasons: tuple[str, ...]
    confidence: float = 0.5  # how sure the kind is, 0..1: low when the evidence disagrees


_ROOT = {1: 1.0, 2: 2**0.5, 3: 3**0.5}


# Kinds a release announcement is made of: a write-up about a model repeats their words
_RELEASE_KINDS = frozenset(["model_release", "product_launch", "open_source"])
ABOUT_DISCOUNT = 0.25  # what the summary's release words count under a write-up's headline
AROUND_BONUS = 10.0  # written around a release: more than any one word of the headline (8)


def title_frame(title_hits: Hits) -> str | None:
    """What a headline says the piece is, when it is not news of a release: "paper" (a
    technical report, a paper, a reading of one), "about" (an explainer, a guide, an
    analysis, an opinion, a piece written before or after a release), or None."""
    if _AROUND in title_hits:
        return "about"
    if ("kind", "research", 4.0) in title_hits:  # "Qwen3 technical report released": the paper
        return "paper"
    return "about" if ("kind", "other", 4.0) in title_hits and _VERB not in title_hits else None


def kind_scores(
    title_hits: Hits, summary_hits: Hits, title: str, versioned: str | None = None
) -> tuple[dict[str, float], dict[str, list[set[str]]]]:
    """Each kind's score from the words found (title hits count double), and its evidence.

    A headline framed as a paper or a write-up ("Qwen2.5-Omni 技术报告", "Gemini 2.5 Pro: A
    Deep Dive") is about a model, not its release: its summary's release words count little."""
    scores, evidence, _leads = _kind_scores(
        title_hits, summary_hits, title, versioned, title_frame(title_hits)
    )
    return scores, evidence


def _kind_scores(
    title_hits: Hits, summary_hits: Hits, title: str, versioned: str | None, frame: str | None
) -> tuple[dict[str, float], dict[str, list[set[str]]], list[str | None]]:
    """The scores, their evidence, and the kind each text (headline, summary) weighs most."""
    scores: dict[str, float] = {}
    evidence: dict[str, list[set[str]]] = {}
    on_rule = False
    if frame == "about":
        # a guide to a rule is about the rule ("AI事業者ガイドライン…解説"); an outlook that
        # lists rules among trends ("動向・規制の展望") is not
        said = _weights(title_hits)
        on_rule = said.get("policy", 0.0) >= said.get("other", 0.0) > 0
    if versioned and _CHIP.search(title) and not _MODEL_WORD.search(title):
        versioned = None  # "Ascend 950 chips": a versioned chip is a product, not a model
    if versioned and frame != "paper":  # "Claude Opus 4.1", "Qwen3-Coder": a versioned model
        released = frame is None and _VERB in title_hits
        scores["model_release"] = (4.0 if frame is None else 2.0) + (4.0 if released else 0.0)
        evidence["model_release"] = [{versioned}]
    strong_model = versioned is not None
    leads: list[str | None] = []
    for found, factor in ((title_hits, 2.0), (summary_hits, 1.0)):
        lead, lead_weight = None, 0.0
        for (what, kind, weight), hits in found.items():
            if what != "kind":
                continue
            raw = weight * _ROOT[min(len(hits), 3)]
            if raw > lead_weight:
                lead, lead_weight = kind, raw
            if kind == "model_release" and weight > 1:
                strong_model = True
            if frame == "about" and kind != "other" and not (kind == "policy" and on_rule):
                # a write-up's headline names what it explains, and its lead retells it
                raw *= ABOUT_DISCOUNT if factor == 1.0 else 0.5
            elif kind in _RELEASE_KINDS and frame == "paper":
                # a paper's headline may say what the paper opens: "模型开源配方"
                raw *= ABOUT_DISCOUNT if factor == 1.0 else 0.5
            scores[kind] = scores.get(kind, 0) + raw * factor
            evidence.setdefault(kind, []).append(hits)
        leads.append(lead)
    if not strong_model and "model_release" in scores:
        # "大模型" and "model" alone: a piece about models, not a release
        scores["model_release"] = min(scores["model_release"], 2.0)
    if _AROUND in title_hits:
        scores["other"] = scores.get("other", 0) + AROUND_BONUS
        evidence.setdefault("other", []).append({"written around a release"})
    return scores, evidence, leads


def _score_kinds(
    title_hits: Hits, summary_hits: Hits, title: str, versioned: str | None = None
) -> tuple[str, list[str], float]:
    """The kind, its reason, and how sure it is: sure when one kind's evidence is strong and
    unrivalled; less sure when another kind comes close, when the headline names a model
    but is framed as a write-up, or when the headline and the summary point different ways."""
    frame = title_frame(title_hits)
    scores, evidence, leads = _kind_scores(title_hits, summary_hits, title, versioned, frame)
    if not scores:
        return "other", [], 0.5
    best = max(scores, key=lambda k: (scores[k], -_KIND_RANK[k]))  # ties: the earlier kind
    top = scores[best]
    if top < 3:
        return "other", [], 0.45
    said = [w for hits in evidence[best] for w in (sorted(hits)[:3] if len(hits) > 1 else hits)]
    words = ", ".join(f"'{w.strip()}'" for w in dict.fromkeys(said))
    rival = max((v for k, v in scores.items() if k != best), default=0.0)
    confidence = 0.3 + 0.8 * (top / (top + rival) - 0.5) + 0.3 * min(1.0, top / 12)
    if versioned and frame is not None:
        confidence -= 0.15  # "Qwen3 技术报告", "Gemini 2.5 Pro: A Deep Dive"
    if None not in leads and leads[0] != leads[1]:
        confidence -= 0.1  # the headline and the summary point different ways
    confidence = round(max(0.05, min(0.99, confidence)), 2)
    return best, [f"kind {best.replace('_', ' ')}: {words}"], confidence


def _weights(hits: Hits) -> dict[str, float]:
    """Each kind's evidence in one text, as scored (distinct words add with diminishing
    returns)."""
    out: dict[str, float] = {}
    for (what, kind, weight), words in hits.items():
        if what == "kind":
            out[kind] = out.get(kind, 0.0) + weight * _ROOT[min(len(words), 3)]
    return out


def params_from_text(text: str) -> float | None:
    """The largest parameter count written in ``text`` ("235B", "70 billion parameters")."""
    best = None
    for m in _PARAMS.finditer(text):
        number, unit = (
            (m.group(1), m.group(2))
            if m.group(1)
            else ((m.group(3), m.group(4)) if m.group(3) else (m.group(5), m.group(6)))
        )
        if unit in ("M", "T") and m.group(1):
            # "5M" is often money or users; only trust M/T glued to a model-like name
            start = m.start()
            if start == 0 or text[start - 1] not in "-_ ":
                continue
            if text[start - 1] == " " and not re.search(
                r"[A-Za-z]\d*$", text[max(0, start - 12) : start - 1]
            ):
                continue
        value = float(number) * _SCALE[unit]
        if 1e6 <= value <= 1e14:
            best = max(best or 0.0, value)
    return best


# Where an item's address says what it is, whatever its words: a paper's page, a dataset's
_PAPER_PAGE = re.compile(
    r"^https?://(?:www\.)?(?:arxiv\.org/(?:abs|pdf|html)/|huggingface\.co/papers\b|"
    r"openreview\.net/(?:forum|pdf)|aclanthology\.org/|papers\.nips\.cc/|"
    r"proceedings\.(?:mlr\.press|neurips\.cc)/|dl\.acm\.org/doi/|ieeexplore\.ieee\.org/|"
    r"[^/?#]+/(?:[^?#]*/)?papers?/)",  # any site's /paper/ or /papers/ section
    re.IGNORECASE,
)
_DATASET_PAGE = re.compile(
    r"^https?://(?:www\.)?(?:huggingface\.co/datasets/|modelscope\.cn/datasets/|"
    r"kaggle\.com/datasets/)",
    re.IGNORECASE,
)


def page_kind(url: str | None) -> str | None:
    """ "research" for a paper's page (arXiv, Hugging Face papers, OpenReview...), "open_source"
    for a dataset's page; None when the address says nothing about the kind."""
    if not url:
        return None
    if _PAPER_PAGE.match(url):
        return "research"
    return "open_source" if _DATASET_PAGE.match(url) else None


def classify_kind(
    title: str,
    summary: str,
    hub: HubFacts | None,
    source_type: str,
    versioned: str | None = None,
    url: str | None = None,
) -> KindResult:
    text = f"{title}\n{summary}"
    title_hits, summary_hits = _INDEX.find(title), _INDEX.find(summary[:600])
    low = title.lower()
    if any(cue in low for cue in _AROUND_CUES) and _AROUND_RELEASE.search(title):
        title_hits[_AROUND] = {"around a release"}
    reasons: list[str] = []
    if source_type in ("leaderboard", "trending"):
        kind, reasons, sure = "benchmark", [f"kind benchmark: {source_type} change"], 0.95
    elif hub is not None:
        kind, sure = "model_release", 0.95
        reasons.append(f"kind model release: new repository {hub.repo_id} on {hub.hub}")
    else:
        kind, reasons, sure = _score_kinds(title_hits, summary_hits, title, versioned)
        page = "research" if source_type == "arxiv" else page_kind(url)
        if page == "research" and kind in ("other", "model_release", "open_source"):
            kind, reasons, sure = "research", ["kind research paper: a paper's page"], 0.9
        elif page == "open_source" and kind in ("other", "model_release", "research"):
            kind, reasons, sure = "open_source", ["kind open source: a dataset's page"], 0.9
    modalities: list[str] = []
    if hub is not None and hub.pipeline_tag in _PIPELINE_MODALITY:
        modalities.append(_PIPELINE_MODALITY[hub.pipeline_tag])
    found: set[str] = set()
    said: dict[str, set[str]] = {}
    for hits in (title_hits, summary_hits):  # one pass over what both texts said
        for (what, value, _weight), words in hits.items():
            if what == "modality":
                found.add(value)
            elif what == "open":
                said.setdefault(value, set()).update(words)
    modalities += [m for m in _MODALITY_ORDER if m in found and m not in modalities]
    if "text" in modalities and len(modalities) > 1 and hub is None:
        modalities.remove("text")
        modalities.append("text")
    open_weights, licence = _open_weights(text, said, hub, reasons)
    params = hub.params if hub is not None and hub.params else params_from_text(text)
    if params:
        reasons.append(
            f"size {params / 1e9:g}B parameters" + (" (hub)" if hub and hub.params else " (text)")
        )
    return KindResult(
        kind, tuple(modalities[:3]), open_weights, licence, params, tuple(reasons), sure
    )


def _open_weights(
    text: str, said: dict[str, set[str]], hub: HubFacts | None, reasons: list[str]
) -> tuple[str, str | None]:
    licence = hub.licence if hub is not None else None
    if licence is None:
        m = _LICENCE.search(text)
        licence = m.group(1) if m else None
    if hub is not None:
        gated = ", gated" if hub.gated else ""
        reasons.append(
            f"open weights: weights published on {hub.hub}{gated}"
            + (f", licence {licence}" if licence else "")
        )
        return "yes", licence
    if "no" in said:
        reasons.append(f"open weights no: '{min(said['no'])}'")
        return "no", licence
    if "yes" in said:
        licensed = f" and licence {licence}" if licence else ""
        reasons.append(f"open weights: '{min(said['yes'])}'{licensed}")
        return "yes", licence
    return "unknown", licence
