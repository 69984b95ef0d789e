"""Release keys and text similarity: how a hub upload, a blog post and news coverage meet."""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Iterable

_MODEL = re.compile(
    r"(?<![A-Za-z0-9])([A-Za-z][A-Za-z.]{1,20}?)[- ]?([vVkK]?\d+(?:\.\d+)?)(?![\d.]*[A-Za-z]{3})"
    r"(?:([- ])([A-Za-z]{2,12}))?(?:[- ](\d+(?:\.\d+)?[BbMm]))?"
)
_GENERIC = {
    "instruct",
    "base",
    "chat",
    "fp8",
    "gguf",
    "awq",
    "gptq",
    "it",
    "hf",
    "mlx",
    "int4",
    "int8",
    "preview",
    "thinking",
    "bf16",
    "exl2",
    "a22b",
    "a3b",
    "release",
    "model",
    "models",
    "weights",
    "is",
    "and",
    "on",
    "in",
    "the",
    "with",
    "now",
    "for",
    "to",
    "as",
    "at",
    "of",
}
_VARIANTS = {
    "pro",
    "flash",
    "mini",
    "max",
    "plus",
    "turbo",
    "coder",
    "vl",
    "omni",
    "maverick",
    "scout",
    "ultra",
    "nano",
    "lite",
    "audio",
    "video",
    "image",
    "vision",
    "math",
    "air",
    "sonnet",
    "opus",
    "haiku",
    "next",
    "master",
    "behemoth",
    "speed",
    "large",
    "small",
}
_WORD = re.compile(r"[a-z0-9]+|[\u3400-\u9fff]")
_STOP = {
    "the",
    "a",
    "an",
    "of",
    "to",
    "in",
    "on",
    "for",
    "and",
    "with",
    "its",
    "is",
    "as",
    "at",
    "by",
    "from",
    "new",
    "that",
    "this",
    "it",
    "be",
    "are",
    "has",
    "have",
    "after",
    "over",
    "says",
    "said",
    "report",
    "reports",
    "how",
    "why",
    "what",
    "will",
    "can",
    "into",
    "的",
    "了",
    "在",
    "和",
    "是",
    "将",
    "与",
}


def release_key(text: str, names: Iterable[str]) -> str | None:
    """``qwen3-coder`` from "Qwen3-Coder-480B is out"; only for known product or org names
    (pass a set of lower-case names to avoid rebuilding it on every call)."""
    known = names if isinstance(names, (set, frozenset)) else {n.lower() for n in names}
    for m in _MODEL.finditer(text):
        name, version, joiner, variant = (
            m.group(1).rstrip("."),
            m.group(2).lower(),
            m.group(3),
            m.group(4),
        )
        if name.lower() not in known:
            continue
        joined = "-" if version[0] in "vk" else ""  # DeepSeek-V3 -> deepseek-v3, Qwen3 -> qwen3
        key = f"{name.lower()}{joined}{version}"
        if (
            variant
            and variant.lower() not in _GENERIC
            and (joiner == "-" or variant.lower() in _VARIANTS)
        ):
            key += f"-{variant.lower()}"
        return key[:200]
    return None


def tokens(text: str) -> frozenset[str]:
    """Content words of English text and single characters (as bigrams) of Chinese text."""
    words = _WORD.findall(text.lower())
    latin = {w for w in words if len(w) > 1 and w not in _STOP and not _is_cjk(w)}
    cjk = [w for w in words if _is_cjk(w) and w not in _STOP]
    bigrams = {a + b for a, b in itertools.pairwise(cjk)}
    return frozenset(latin | bigrams)


def _is_cjk(word: str) -> bool:
    return len(word) == 1 and "\u3400" <= word <= "\u9fff"


def similarity(a: frozenset[str], b: frozenset[str]) -> float:
    """Overlap coefficient blended with Jaccard: robust to one headline being longer."""
    return overlap_score(len(a & b), len(a), len(b)) if a and b else 0.0


def overlap_score(shared: int, a: int, b: int) -> float:
    """:func:`similarity` from counts: ``shared`` tokens of token sets sized ``a`` and ``b``
    (so a candidate found through an index of tokens needs no set operations)."""
    if not shared:
        return 0.0
    jaccard = shared / (a + b - shared)
    smaller = min(a, b)
    return 0.5 * jaccard + 0.5 * shared / smaller if smaller >= 4 else jaccard


@functools.cache
def least_shared(size: int, threshold: float) -> int:
    """The fewest shared tokens with which a headline of ``size`` tokens can score
    ``threshold`` against any other: candidates sharing fewer need no scoring."""
    for shared in range(1, size + 1):
        # the score falls as the other headline grows past ``shared``, so small ones suffice
        if any(overlap_score(shared, size, b) >= threshold for b in range(shared, size + 8)):
            return shared
    return size + 1
