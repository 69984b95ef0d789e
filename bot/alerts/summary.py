"""Extractive summaries: one to three clean sentences from the item itself, never invented."""

from __future__ import annotations

import re

from bot.sources.clean import shorten
from bot.stories.similar import similarity, tokens

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"“'(])|(?<=[。！？])")
_NOISE = re.compile(
    r"^(photo|image|credit|getty|subscribe|sign up|advertisement|share this|"
    r"click here|follow us|related:|read more|this article)",
    re.IGNORECASE,
)
_DATELINE = re.compile(r"^[A-Z][A-Za-z .,]{2,40}\s[–—-]{1,2}\s")  # "BEIJING, Jan 3 — "


def sentences(text: str) -> list[str]:
    parts = []
    for paragraph in text.split("\n"):
        parts += [s.strip() for s in _SENTENCE_END.split(paragraph.strip()) if s.strip()]
    return parts


def extract_summary(title: str, text: str, limit: int = 320, most: int = 3) -> str:
    """Up to ``most`` leading sentences that add to the title, within ``limit`` characters."""
    title_tokens = tokens(title)
    chosen: list[str] = []
    size = 0
    for sentence in sentences(text):
        sentence = _DATELINE.sub("", sentence)
        if len(sentence) < 25 or _NOISE.match(sentence):
            continue
        if similarity(tokens(sentence), title_tokens) > 0.8:
            continue  # repeats the headline
        if size and size + len(sentence) + 1 > limit:
            break
        chosen.append(sentence)
        size += len(sentence) + 1
        if len(chosen) >= most:
            break
    return shorten(" ".join(chosen), limit) if chosen else ""
