"""Find organisation and product names in text in one pass (Aho-Corasick), without embarrassment.

Latin names match whole words only ("Meta" never in "metadata", "Yi" never in "Yield"),
short names match case-sensitively, and names marked ambiguous ("Kimi", "Apple") count only
when the text is about AI. Chinese names match as substrings, since Chinese has no spaces.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import NamedTuple

import ahocorasick

from bot.attribution.hant import both_scripts, scripts, traditional
from bot.attribution.keywords import KeywordIndex, ascii_lower
from bot.attribution.registry import Registry

_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
# Real AI context: words that mean the text is about AI. A lone "assistant", "app", "agent"
# or "chips" is not (travel agents, potato chips), nor is a name that is also a word.
_AI_WORDS = [
    r"\bA\.?I\.?(?![A-Za-z])",
    r"artificial intelligence",
    r"intelligence artificielle",
    r"k(ü|ue)nstliche[nr]? Intelligenz",
    r"inteligencia artificial",
    r"\bmodel(s|l|le|o)?\b",
    r"\bmodèles?\b",
    r"\bLLMs?\b",
    r"language models?",
    r"chat ?bots?",
    r"\b(GPU|TPU|NPU)s?\b",
    r"machine learning",
    r"deep learning",
    r"\bgenerative\b",
    r"open[- ]weights?",
    r"neural net",
    r"\bbenchmarks?\b",
    r"\bparameters\b",
    r"(?<![$€£¥\d.])\d{1,4}(\.\d+)?B\b",  # a model's size, "Qwen2.5-VL-72B"; not "$40B"
    r"multimodal",
    r"text-to-",
    r"\binference\b",
    r"hugging ?face",
    r"\btransformers?\b",
    r"\bAGI\b",
    r"\bGenAI\b",
    r"\bAPIs?\b",
    r"humanoid",
    r"self-driving",
    r"robotaxi",
    r"data cent(er|re)s?",
    r"semiconductor",
    r"\bagentic\b",
    r"\bfine-?tun",
    r"\bGPT",
    r"\bopen[- ]source (model|LLM|AI)",
    *[
        "人工智能",
        "人形机器人",
        "具身智能",
        "ヒューマノイド",
        "휴머노이드",
        "大模型",
        "模型",
        "智能体",
        "芯片",
        "算力",
        "机器学习",
        "深度学习",
        "神经网络",
        "人工知能",
        "言語モデル",
        "인공지능",
        "언어모델",
        "모델",
    ],
]
# Real AI context: words that mean the text is about AI. A lone "assistant", "app", "agent"
# or "chips" is not (travel agents, potato chips), nor is a name that is also a word. Found
# through the keyword index, so only the few patterns whose words appear are run.
AI_CONTEXT = KeywordIndex([(True, written) for p in _AI_WORDS for written in scripts(p)])
# Case matters for these: "KI", "IA" and "AI" are words in other languages ("ai" in Japanese
# romaji, "Kai").
_AI_CASED = re.compile(r"\bKI\b|\bIA\b|(?<![A-Za-z])AI(?![A-Za-z])")
# Government actors count only when the text is about technology at all.
TECH_CONTEXT = re.compile(
    both_scripts(
        r"(?i:\bchips?\b|chipmak|semiconductor|export (control|curb|ban|rule)|\btech|cyber|"
        r"internet|\bonline\b|\bdata\b|digital|platform|algorithm|software|comput|quantum|telecom|\b5G\b|"
        r"lithography|Halbleiter|numérique|données|robot|drone|\bentity list\b)"
        r"|科技|技术|芯片|半导体|网络|数据|数字|算法|互联网|光刻|半導体|技術|テクノロジー|기술|반도체|데이터"
        r"|实体清单|實體清單|出口管制|輸出規制|エンティティー?リスト|수출 ?통제|거래제한 ?명단"
    )
)
_WORDLIKE = re.compile(r"[A-Z]?[a-z]{2,}")


def looks_like_a_word(name: str, role: str, org_name: str) -> bool:
    """A name that is also an everyday word, place or person ("Phi", "Sora", "Jamba" as
    products; "Mistral" short for "Mistral AI"), so it counts only in AI context."""
    if not _WORDLIKE.fullmatch(name):
        return False
    return role == "product" or (org_name != name and org_name.startswith(name + " "))


SHORT_CASE_SENSITIVE = 5


@dataclass(frozen=True)
class Term:
    text: str
    org_id: str
    role: str  # alias | product
    case_sensitive: bool
    ambiguous: bool
    cjk: bool
    needs_tech: bool = False  # a government actor: counts only when the text is about tech
    # Written in katakana: a word of its own only between non-katakana characters.
    kana: bool = field(init=False)
    # A model family ("Qwen", "GLM", "Step3") names the model in any case when a version is
    # written with it: "qwen2.5-max", "STEP3-VL-10B" (ambiguous names still need AI context).
    versioned_in_any_case: bool = field(init=False)
    last_is_digit: bool = field(init=False)

    def __post_init__(self) -> None:
        kana = _is_kana(self.text, 0) and _is_kana(self.text, len(self.text) - 1)
        object.__setattr__(self, "kana", kana)
        object.__setattr__(self, "versioned_in_any_case", self.role == "product" and not self.cjk)
        object.__setattr__(self, "last_is_digit", self.text[-1:].isdigit())


_HEAD_AND_VERSION = re.compile(r"([A-Za-z]+)([-_]?)\d")


def _versioned(term: Term, text: str, start: int, end: int) -> bool:
    """A version right after the name's letters: glued ("qwen2.5", "STEP3") or, for a name
    that is no word, after a hyphen ("glm-4"); "step-1" of a guide is not a model."""
    m = _HEAD_AND_VERSION.match(text, start, end + 3)
    if m is None or m.end(1) < min(end, start + len(m.group(1))):
        return False
    head = term.text[: len(m.group(1))]
    return not m.group(2) or _WORDLIKE.fullmatch(head) is None


class Mention(NamedTuple):
    org_id: str
    term: str
    start: int
    end: int
    role: str
    ambiguous: bool
    needs_tech: bool = False


class Context:
    """The whole item's text, asked at most once each whether it is about AI or about tech."""

    __slots__ = ("_ai", "_tech", "text")

    def __init__(self, text: str) -> None:
        self.text = text
        self._ai: bool | None = None
        self._tech: bool | None = None

    @property
    def about_ai(self) -> bool:
        if self._ai is None:
            self._ai = _AI_CASED.search(self.text) is not None or AI_CONTEXT.any(self.text)
        return self._ai

    @property
    def about_tech(self) -> bool:
        if self._tech is None:
            self._tech = self.about_ai or TECH_CONTEXT.search(self.text) is not None
        return self._tech


def _is_kana(text: str, i: int) -> bool:
    return 0 <= i < len(text) and "\u30a0" <= text[i] <= "\u30ff"


_LETTERS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
_WORD_CHARS = _LETTERS | frozenset(
    "0123456789"
)  # ASCII letters and digits: what a Latin name cannot touch


# "Sakana AI" is also written "SakanaAI" (in Japanese text, and in hub namespaces)
_SPACED_AI = re.compile(r"([A-Z][A-Za-z0-9]{2,}) AI")


class Matcher:
    """Built once from a registry; ``find`` is pure and thread-safe."""

    def __init__(self, registry: Registry) -> None:
        self._automaton = ahocorasick.Automaton()
        table: dict[str, list[Term]] = {}
        for org in registry.orgs.values():
            for role, names in (("alias", org.aliases), ("product", org.products)):
                for name in names:
                    name = name.strip()
                    if not name:
                        continue
                    cjk = bool(_CJK.search(name))
                    ambiguous = name in org.ambiguous or looks_like_a_word(name, role, org.name)
                    # a Chinese name also matches written in Traditional characters
                    for written in dict.fromkeys([name, traditional(name)] if cjk else [name]):
                        term = Term(
                            written,
                            org.id,
                            role,
                            case_sensitive=not cjk
                            and (len(name) <= SHORT_CASE_SENSITIVE or ambiguous),
                            ambiguous=ambiguous,
                            cjk=cjk,
                            needs_tech=org.type == "government" and not org.weak,
                        )
                        table.setdefault(ascii_lower(written), []).append(term)
        glued: dict[str, list[Term]] = {}
        for terms in table.values():
            for term in terms:
                m = _SPACED_AI.fullmatch(term.text)
                if m is not None and term.role == "alias" and not term.ambiguous:
                    written = f"{m.group(1)}AI"
                    glued.setdefault(ascii_lower(written), []).append(replace(term, text=written))
        for key, terms in glued.items():  # "SakanaAI", "MoonshotAI": no other name is written so
            table.setdefault(key, terms)
        for key, terms in table.items():
            self._automaton.add_word(key, tuple(terms))
        if table:
            self._automaton.make_automaton()
        self._empty = not table

    @staticmethod
    def _accept(term: Term, text: str, start: int, end: int, fold: bool) -> bool:
        if (
            term.case_sensitive
            and not fold
            and text[start:end] != term.text
            and not (term.versioned_in_any_case and _versioned(term, text, start, end))
        ):
            return False
        if term.cjk:
            return True
        if term.kana and (_is_kana(text, start - 1) or _is_kana(text, end)):
            return False  # "インド" (India) inside "ディープマインド"
        if start > 0:
            before = text[start - 1]
            if before in _WORD_CHARS or before == "@":
                return False
        if end < len(text):
            after = text[end]
            if after in _LETTERS or (term.last_is_digit and after.isdigit()):
                return False
        return True

    def find(
        self, text: str, model_name: bool = False, context: Context | None = None
    ) -> list[Mention]:
        """Non-overlapping mentions, longest first at each place, in text order.

        ``model_name``: the text is a model's name ("qwen2.5-7b-gguf"), written in any case
        and about AI by definition. ``context``: the whole item (headline and summary), in
        which AI or tech context is looked for; ``text`` itself when not given."""
        if self._empty or not text:
            return []
        lowered = ascii_lower(text)
        candidates: list[tuple[int, int, Term]] = []
        for end_index, terms in self._automaton.iter(lowered):
            end = end_index + 1
            for term in terms:
                start = end - len(term.text)
                if self._accept(term, text, start, end, model_name):
                    candidates.append((start, end, term))
        candidates.sort(key=lambda c: (c[0], -(c[1] - c[0])))
        mentions: list[Mention] = []
        covered_to = -1
        for start, end, term in candidates:
            if start < covered_to:
                continue
            # "Qwen3", "Sora2": a product name with its version glued on is no everyday word
            ambiguous = term.ambiguous and not (
                term.role == "product"
                and end < len(text)
                and text[end].isdigit()
                and not term.text[-1].isdigit()
            )
            mentions.append(
                Mention(term.org_id, term.text, start, end, term.role, ambiguous, term.needs_tech)
            )
            covered_to = end
        if model_name or not any(m.ambiguous or m.needs_tech for m in mentions):
            return mentions
        context = Context(text) if context is None else context
        # An unambiguous AI organisation in the same text is AI context too.
        sure = any(not (m.ambiguous or m.needs_tech) for m in mentions)
        return [
            m
            for m in mentions
            if (not m.ambiguous or sure or context.about_ai)
            and (not m.needs_tech or sure or context.about_tech)
        ]
