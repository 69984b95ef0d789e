"""Text cleaning for untrusted feed fields: HTML to text, entities, boilerplate, size caps."""

from __future__ import annotations

import html
import re
import unicodedata
from html.parser import HTMLParser

from bot.text import visible

_SPACE = re.compile(r"[ \t\r\f\v\u00a0\u3000]+")
_BLANKS = re.compile(r"\n\s*\n+")
_BOILERPLATE = [  # (words one of which must appear, lower-cased; the pattern that removes it)
    (
        ("appeared first on",),
        re.compile(r"The post .{1,300}? appeared first on .{1,200}?\.?\s*$", re.S),
    ),
    (
        ("continue reading", "read more", "read the full"),
        re.compile(
            r"\s*(Continue reading|Read more|Read the full (story|article))\s*(\.\.\.|…|→|»)?\s*$",
            re.I,
        ),
    ),
    (("[…]", "[...]"), re.compile(r"\s*\[(…|\.\.\.)\]\s*$")),
    (("comments:", "article url:"), re.compile(r"\s*(Comments|Article URL): https?://\S+", re.I)),
    (
        ("本文来自", "原文链接", "点击阅读原文"),
        re.compile(r"\s*(本文来自|原文链接|点击阅读原文).{0,200}$"),
    ),
]
_BLOCK_TAGS = {
    "p",
    "div",
    "br",
    "li",
    "ul",
    "ol",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "tr",
    "blockquote",
    "pre",
    "section",
    "article",
    "figure",
    "table",
}
_SKIP_TAGS = {"script", "style", "noscript", "template", "svg", "head", "iframe", "object"}


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP_TAGS:
            self._skip += 1
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP_TAGS and self._skip:
            self._skip -= 1
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def html_to_text(value: str) -> str:
    """Visible text of an HTML fragment; plain text passes through with entities decoded."""
    if "<" not in value and "&" not in value:
        return value
    if "<" not in value:
        return html.unescape(value)
    parser = _TextExtractor()
    try:
        parser.feed(value)
        parser.close()
    except (AssertionError, ValueError):  # pathological markup: fall back to crude stripping
        return html.unescape(re.sub(r"<[^>]{0,2000}>", " ", value))
    return "".join(parser.parts)


def clean_line(value: str | None, limit: int) -> str:
    """One line of clean text: no markup, controls or runs of spaces, at most ``limit`` chars."""
    if not value:
        return ""
    text = html_to_text(value[: limit * 8])
    text = unicodedata.normalize("NFC", visible(text.replace("\r", "\n")))
    text = _SPACE.sub(" ", text.replace("\n", " ")).strip()
    return shorten(text, limit)


def clean_text(value: str | None, limit: int) -> str:
    """Paragraph text with boilerplate removed, at most ``limit`` chars."""
    if not value:
        return ""
    text = html_to_text(value[: limit * 8])
    text = unicodedata.normalize("NFC", visible(text.replace("\r", "\n")))
    text = _SPACE.sub(" ", text)
    text = _BLANKS.sub("\n\n", "\n".join(line.strip() for line in text.split("\n"))).strip()
    lowered = text.lower()
    for words, pattern in _BOILERPLATE:  # each pattern runs only where its words appear
        if any(w in lowered for w in words):
            text = pattern.sub("", text).strip()
    return shorten(text, limit)


def shorten(text: str, limit: int) -> str:
    """Cut at a word boundary and add an ellipsis; never mid-word when a space is near."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if space > limit * 0.6:
        cut = cut[:space]
    return cut.rstrip(" ,;:-–—") + "…"


_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LETTER = re.compile(r"[^\W\d_]")  # letters (near enough str.isalpha), counted in C


def guess_language(text: str, declared: str | None = None) -> str | None:
    """``zh`` when the text is mostly Chinese, else the feed's declared language, else ``en``."""
    sample = text[:400]
    letters = len(_LETTER.findall(sample))
    if letters and len(_CJK.findall(sample)) / letters > 0.3:
        return "zh"
    if declared:
        return declared.split("-")[0].lower()[:8]
    return "en" if letters else None
