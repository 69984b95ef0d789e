"""What kind of release an item is, its modalities, open weights, licence and size, from text.

Pure functions over title and summary (and hub facts when there are any), each returning
its reasons so ``racewatch classify`` and ``racewatch why`` can show them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.items import HubFacts


def _rx(*patterns: str) -> re.Pattern[str]:
    return re.compile("|".join(patterns), re.IGNORECASE)


# (kind, weight, pattern). Title hits count double. The order breaks ties.
_KIND_RULES: list[tuple[str, float, re.Pattern[str]]] = [
    (
        "policy",
        3,
        _rx(
            r"export (control|curb|ban|rule|restriction|licen[cs]e)s?",
            r"entity list",
            r"\bsanction",
            r"\btariff",
            r"bureau of industry",
            r"commerce department",
            r"department of commerce",
            r"\bBIS\b",
            r"chip (ban|curbs?|restrictions?|rules?)",
            r"national security",
            r"\bregulat",
            r"\blegislat",
            r"\bexecutive order",
            r"\bbill\b",
            r"\bbans?\b",
            r"\bprobe\b",
            r"antitrust",
            r"\bCHIPS Act",
            r"出口管制",
            r"实体清单",
            r"制裁",
            r"监管",
            r"禁令",
            r"关税",
            r"管控",
        ),
    ),
    (
        "policy",
        1.5,
        _rx(
            r"\bH20\b",
            r"\bH100s?\b",
            r"\bH200\b",
            r"\bBlackwell\b",
            r"semiconductor",
            r"\bchips?\b",
            r"\bchipmakers?\b",
            r"\bfabs?\b",
            r"lithography",
            r"\bASML\b",
            r"\bgovernment\b",
            r"\bpolicy\b",
            r"\blaw\b",
            r"\bsmuggl",
            r"芯片",
            r"政策",
            r"半导体",
            r"光刻",
        ),
    ),
    (
        "business",
        3,
        _rx(
            r"\braises?\b",
            r"\braised\b",
            r"\bfunding\b",
            r"\bvaluation",
            r"\bvalued at\b",
            r"\bIPO\b",
            r"\bacquir",
            r"\bacquisition",
            r"\binvest(s|ment|ors?|ed)?\b",
            r"series [a-k]\b",
            r"\$\d",
            r"\bmerger\b",
            r"\brevenue",
            r"\bearnings\b",
            r"\bprofit",
            r"\bshares?\b",
            r"\bstock",
            r"\bdeal\b",
            r"\bpartnership",
            r"\bpartners with\b",
            r"\bhires?\b",
            r"\bsteps down\b",
            r"\bCEO\b",
            r"\blayoffs?\b",
            r"\bmarket share\b",
            r"\bbillion\b(?! parameters)",
            r"融资",
            r"估值",
            r"收购",
            r"上市",
            r"投资",
            r"营收",
            r"财报",
            r"合作",
        ),
    ),
    (
        "benchmark",
        3,
        _rx(
            r"leaderboard",
            r"\bbenchmarks?\b",
            r"\barena\b",
            r"\bLMArena\b",
            r"\btops\b",
            r"\branks?\b",
            r"\branking",
            r"\bNo\. ?1\b",
            r"number one",
            r"\bSOTA\b",
            r"state[- ]of[- ]the[- ]art",
            r"\boutperform",
            r"\bbeats?\b",
            r"\bscores?\b",
            r"\bevals?\b",
            r"\bevaluation",
            r"\bMMLU\b",
            r"SWE-bench",
            r"\bELO\b",
            r"\btop (spot|place|10|ten|five)\b",
            r"排行榜",
            r"榜单",
            r"登顶",
            r"基准",
            r"评测",
            r"榜首",
            r"超越",
        ),
    ),
    (
        "research",
        3,
        _rx(
            r"\bpaper\b",
            r"\barxiv\b",
            r"\bresearchers?\b",
            r"\bstudy\b",
            r"\bwe propose\b",
            r"\bwe present\b",
            r"\bwe introduce\b",
            r"\bthis paper\b",
            r"\bpreprint",
            r"\bsurvey\b",
            r"\bNeurIPS\b",
            r"\bICML\b",
            r"\bICLR\b",
            r"\bACL\b",
            r"\bCVPR\b",
            r"technical report",
            r"论文",
            r"研究人员",
            r"研究团队",
            r"学术",
        ),
    ),
    (
        "open_source",
        3,
        _rx(
            r"open[- ]sourc(es|ed|ing)\b(?! (\w+ )?(model|LLM|weights))",
            r"\bframework\b",
            r"\blibrary\b",
            r"\btoolkit\b",
            r"\bdataset\b",
            r"\bon GitHub\b",
            r"\bSDK\b",
            r"\bcodebase\b",
            r"\brepository\b",
            r"数据集",
            r"框架",
            r"工具",
        ),
    ),
    (
        "model_release",
        3,
        _rx(
            r"\b(releases?|released|releasing|launch(es|ed)?|unveil(s|ed)?|"
            r"introduc(es|ed)|debuts?|rolls? out|ships?|drops?|announces?|"
            r"open[- ]sourc(es|ed))\b.{0,60}\b(models?|LLMs?|weights|checkpoints?|"
            r"reasoning|VLM|generator)\b",
            r"\bnew (\w+ )?(model|LLM|VLM)\b",
            r"\bmodel (release|card)\b",
            r"\bopen[- ]weights?\b",
            r"\bweights\b",
            r"\bparameters?\b",
            r"(?<![$\w.])\d+(\.\d+)?[BM]\b",
            r"(发布|推出|开源|上线).{0,20}(模型|大模型)",
            r"(模型|大模型).{0,10}(发布|开源)",
            r"参数",
        ),
    ),
    (
        "model_release",
        2,
        _rx(
            r"\b(GPT|Qwen|Llama|Gemini|Gemma|Claude|DeepSeek|GLM|Kimi|ERNIE|Hunyuan|"
            r"Doubao|Grok|Mistral|Phi|Yi|MiniMax|Step|InternLM|Nemotron|Sora|Kling|"
            r"Hailuo|Veo|Seedance|Wan|o\d)[- ]?[A-Z]?\d+(\.\d+)?",
            r"\breasoning model\b",
        ),
    ),
    (
        "product_launch",
        3,
        _rx(
            r"\bapp\b",
            r"\bapps\b",
            r"\bfeature",
            r"\bavailable (in|to|for|now)\b",
            r"\brolls? out\b",
            r"\blaunch(es|ed)?\b",
            r"\bsubscription",
            r"\bpricing\b",
            r"\bbeta\b",
            r"\bwaitlist\b",
            r"\bplugin",
            r"\bbrowser\b",
            r"\bdevice",
            r"\bsmart ?phone",
            r"\bglasses\b",
            r"\bsearch\b",
            r"\bassistant\b",
            r"\bchatbot\b",
            r"\bcopilot\b",
            r"\bplatform\b",
            r"\bAPI\b",
            r"\busers?\b",
            r"上线",
            r"推出",
            r"应用",
            r"产品",
            r"功能",
            r"用户",
        ),
    ),
]
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

_MODALITY_RULES: list[tuple[str, re.Pattern[str]]] = [
    (
        "video_gen",
        _rx(
            r"video generat",
            r"text-to-video",
            r"image-to-video",
            r"\bvideo model",
            r"\bSora\b",
            r"\bKling\b",
            r"\bVeo\b",
            r"\bHailuo\b",
            r"\bSeedance\b",
            r"\bVidu\b",
            r"\bWan ?2",
            r"\bGen-\d",
            r"视频生成",
            r"文生视频",
            r"图生视频",
        ),
    ),
    (
        "image_gen",
        _rx(
            r"image generat",
            r"text-to-image",
            r"\bdiffusion\b",
            r"\bDALL",
            r"\bImagen\b",
            r"\bMidjourney\b",
            r"\bFLUX\b",
            r"\bKolors\b",
            r"\bSeedream\b",
            r"图像生成",
            r"文生图",
            r"生图",
        ),
    ),
    (
        "audio",
        _rx(
            r"\bspeech\b",
            r"\bvoice\b",
            r"\baudio\b",
            r"text-to-speech",
            r"\bTTS\b",
            r"\bASR\b",
            r"\bmusic\b",
            r"\bWhisper\b",
            r"语音",
            r"音频",
            r"音乐",
        ),
    ),
    (
        "code",
        _rx(
            r"\bcod(e|ing|er)\b",
            r"\bprogramming\b",
            r"\bdeveloper tools?\b",
            r"\bIDE\b",
            r"SWE-bench",
            r"\bCodex\b",
            r"编程",
            r"代码",
        ),
    ),
    (
        "vision",
        _rx(
            r"\bvision\b",
            r"\bVLM\b",
            r"\bvisual\b",
            r"\bimage understanding\b",
            r"\bOCR\b",
            r"-VL\b",
            r"\bVL\b",
            r"视觉",
            r"图像理解",
        ),
    ),
    ("multimodal", _rx(r"multi-?modal", r"\bomni\b", r"多模态", r"全模态")),
    ("robotics", _rx(r"\brobot", r"\bhumanoid", r"embodied", r"机器人", r"具身")),
    ("agents", _rx(r"\bagents?\b", r"\bagentic\b", r"computer use", r"智能体")),
    (
        "text",
        _rx(
            r"\bLLMs?\b",
            r"language model",
            r"\bchatbot\b",
            r"\breasoning\b",
            r"\bchat\b",
            r"\bGPT",
            r"\bQwen\d?\b",
            r"\bLlama\b",
            r"\bDeepSeek\b",
            r"\bGLM\b",
            r"\bClaude\b",
            r"大语言模型",
            r"语言模型",
            r"推理模型",
            r"对话",
            r"大模型",
        ),
    ),
]
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

_OPEN_YES = _rx(
    r"open[- ]sourc",
    r"open[- ]weights?",
    r"\bweights (are|now) (available|public)",
    r"on hugging ?face",
    r"\bApache[- ]2",
    r"\bMIT licen[cs]e",
    r"permissive licen",
    r"downloadable",
    r"开源",
    r"开放权重",
)
_OPEN_NO = _rx(
    r"\bclosed[- ]source",
    r"\bproprietary\b",
    r"\bAPI[- ]only\b",
    r"\bnot open[- ]source",
    r"\bclosed model",
    r"闭源",
)
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


def _score_kinds(title: str, summary: str) -> tuple[str, list[str]]:
    scores: dict[str, float] = {}
    evidence: dict[str, list[str]] = {}
    for kind, weight, pattern in _KIND_RULES:
        for text, factor in ((title, 2.0), (summary[:600], 1.0)):
            hits = {m.group(0).lower() for m in pattern.finditer(text)}
            if hits:
                scores[kind] = scores.get(kind, 0) + weight * factor * min(len(hits), 3) ** 0.5
                evidence.setdefault(kind, []).extend(sorted(hits)[:3])
    if not scores:
        return "other", []
    best = max(_KIND_ORDER, key=lambda k: (scores.get(k, 0), -_KIND_ORDER.index(k)))
    if scores.get(best, 0) < 3:
        return "other", []
    words = ", ".join(f"'{w.strip()}'" for w in dict.fromkeys(evidence[best]))
    return best, [f"kind {best.replace('_', ' ')}: {words}"]


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


def classify_kind(title: str, summary: str, hub: HubFacts | None, source_type: str) -> KindResult:
    text = f"{title}\n{summary}"
    reasons: list[str] = []
    if hub is not None:
        kind = "model_release"
        reasons.append(f"kind model release: new repository {hub.repo_id} on {hub.hub}")
    elif source_type == "leaderboard":
        kind, reasons = "benchmark", ["kind benchmark: leaderboard change"]
    else:
        kind, reasons = _score_kinds(title, summary)
        if source_type == "arxiv" and kind in ("other", "model_release", "open_source"):
            kind, reasons = "research", ["kind research paper: arXiv listing"]
    modalities: list[str] = []
    if hub is not None and hub.pipeline_tag in _PIPELINE_MODALITY:
        modalities.append(_PIPELINE_MODALITY[hub.pipeline_tag])
    for modality, pattern in _MODALITY_RULES:
        if modality not in modalities and pattern.search(text):
            modalities.append(modality)
    if "text" in modalities and len(modalities) > 1 and hub is None:
        modalities.remove("text")
        modalities.append("text")
    open_weights, licence = _open_weights(text, hub, reasons)
    params = hub.params if hub is not None and hub.params else params_from_text(text)
    if params:
        reasons.append(
            f"size {params / 1e9:g}B parameters" + (" (hub)" if hub and hub.params else " (text)")
        )
    return KindResult(kind, tuple(modalities[:3]), open_weights, licence, params, tuple(reasons))


def _open_weights(text: str, hub: HubFacts | None, reasons: list[str]) -> tuple[str, str | None]:
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
    if _OPEN_NO.search(text):
        reasons.append("open weights no: " + repr(_OPEN_NO.search(text).group(0)))  # type: ignore[union-attr]
        return "no", licence
    m = _OPEN_YES.search(text)
    if m:
        reasons.append(
            f"open weights: '{m.group(0)}'" + (f" and licence {licence}" if licence else "")
        )
        return "yes", licence
    return "unknown", licence
