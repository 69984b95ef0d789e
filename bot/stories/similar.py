"""Headline similarity: near-identical headlines from different outlets are one story."""

from __future__ import annotations

import functools
import itertools
import re

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
