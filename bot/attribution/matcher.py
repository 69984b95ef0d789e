"""Find organisation and product names in text in one pass (Aho-Corasick), without embarrassment.

Latin names match whole words only ("Meta" never in "metadata", "Yi" never in "Yield"),
short names match case-sensitively, and names marked ambiguous ("Kimi", "Apple") count only
when the text is about AI. Chinese names match as substrings, since Chinese has no spaces.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import ahocorasick

from bot.attribution.keywords import ascii_lower
from bot.attribution.registry import Registry

_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
AI_CONTEXT = re.compile(
    r"(?i:\bA\.?I\b|artificial intelligence|\bmodels?\b|\bLLMs?\b|chatbot|\bGPUs?\b|"
    r"machine learning|"
    r"generative|open[- ]source|open[- ]weights?|neural|reasoning|\bagents?\b|\bbenchmarks?\b|"
    r"parameters|multimodal|text-to-|inference|\btokens?\b|hugging ?face|transformer|\bchips?\b|"
    r"\bAGI\b|foundation model|assistant|\bGenAI\b|copilot|\bAPI\b|robot|humanoid|self-driving|"
    r"autonomous|data cent(er|re)s?|semiconductor)"
    r"|人工智能|大模型|模型|智能体|开源|芯片|算力|(?<![A-Za-z])AI(?![A-Za-z])"
)
SHORT_CASE_SENSITIVE = 5


@dataclass(frozen=True)
class Term:
    text: str
    org_id: str
    role: str  # alias | product
    case_sensitive: bool
    ambiguous: bool
    cjk: bool


@dataclass(frozen=True)
class Mention:
    org_id: str
    term: str
    start: int
    end: int
    role: str
    ambiguous: bool


def _is_word_char(ch: str) -> bool:
    return ch.isascii() and ch.isalnum()


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
                    term = Term(
                        name,
                        org.id,
                        role,
                        case_sensitive=not cjk
                        and (len(name) <= SHORT_CASE_SENSITIVE or name in org.ambiguous),
                        ambiguous=name in org.ambiguous,
                        cjk=cjk,
                    )
                    table.setdefault(ascii_lower(name), []).append(term)
        for key, terms in table.items():
            self._automaton.add_word(key, tuple(terms))
        if table:
            self._automaton.make_automaton()
        self._empty = not table

    def _accept(self, term: Term, text: str, start: int, end: int, fold: bool) -> bool:
        if term.case_sensitive and not fold and text[start:end] != term.text:
            return False
        if term.cjk:
            return True
        if start > 0 and (_is_word_char(text[start - 1]) or text[start - 1] == "@"):
            return False
        if end < len(text):
            after = text[end]
            if after.isascii() and after.isalpha():
                return False
            if term.text[-1].isdigit() and after.isdigit():
                return False
        return True

    def find(self, text: str, model_name: bool = False) -> list[Mention]:
        """Non-overlapping mentions, longest first at each place, in text order.

        ``model_name``: the text is a model's name ("qwen2.5-7b-gguf"), written in any case
        and about AI by definition."""
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
            mentions.append(Mention(term.org_id, term.text, start, end, term.role, term.ambiguous))
            covered_to = end
        if not model_name and any(m.ambiguous for m in mentions):
            # An unambiguous AI organisation in the same text is AI context too.
            sure = {m.org_id for m in mentions if not m.ambiguous}
            about_ai = bool(sure) or AI_CONTEXT.search(text) is not None
            mentions = [m for m in mentions if not m.ambiguous or about_ai]
        return mentions
