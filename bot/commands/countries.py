"""Country words and codes as users type them: "China", "US", "美国", "cn" -> ISO codes."""

from __future__ import annotations

from bot.alerts.card import COUNTRY_NAMES

EXTRA = {
    "CN": ("prc", "mainland china", "chinese", "中国", "中國", "中华人民共和国"),
    "US": ("usa", "u.s.", "u.s.a.", "america", "united states of america", "american", "美国"),
    "GB": ("uk", "britain", "great britain", "england", "英国"),
    "FR": ("french", "法国"),
    "JP": ("japanese", "日本"),
    "KR": ("korea", "korean", "韩国"),
    "AE": ("united arab emirates", "emirates"),
    "DE": ("german", "德国"),
    "TW": ("台湾",),
    "IN": ("indian",),
}
WORDS: dict[str, str] = {name.lower(): code for code, name in COUNTRY_NAMES.items()}
for _code, _words in EXTRA.items():
    WORDS.update(dict.fromkeys(_words, _code))


def country_code(text: str, *, codes_any_case: bool = True) -> str | None:
    """The ISO code ``text`` names ("China", "US", "美国", "cn"), or None.

    With ``codes_any_case=False`` a two-letter code counts only in capitals ("IN" is India,
    "in" is a word)."""
    word = text.strip()
    if len(word) == 2 and word.isascii() and word.isalpha():
        code = word.upper()
        if code in COUNTRY_NAMES and (codes_any_case or word.isupper()):
            return code
        return None
    return WORDS.get(word.lower())
