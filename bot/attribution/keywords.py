"""Many small regexes over one text, fast: an Aho-Corasick pass picks the few worth running.

Each pattern is indexed by a literal that every match must contain (``\\braises?\\b`` needs
"raise"); a pattern with no such literal runs on every text. Matching is case-insensitive
with ASCII word boundaries, so a Chinese character beside "API" still counts as a boundary.
"""

from __future__ import annotations

import re
from collections.abc import Hashable, Iterable
from typing import Generic, TypeVar

import ahocorasick

L = TypeVar("L", bound=Hashable)
_META = set("\\()[]{}.*+?|^$")
ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def compile_ci(*patterns: str) -> re.Pattern[str]:
    return re.compile("|".join(patterns), re.IGNORECASE | re.ASCII)


def required_literal(pattern: str) -> str | None:
    """A lower-case literal that every match of ``pattern`` contains, when one is obvious."""
    body = pattern.removeprefix("\\b")
    literal: list[str] = []
    for ch in body:
        if ch in _META:
            if ch in "?*{" and literal:
                literal.pop()  # the character before an optional quantifier may be absent
            break
        literal.append(ch)
    text = "".join(literal).translate(ASCII_LOWER)
    return text if len(text) >= 2 or (text and not text.isascii()) else None


def required_literals(pattern: str) -> tuple[str, ...] | None:
    """Literals one of which every match of ``pattern`` contains: its own literal, or, for
    a pattern that starts with a group of alternatives (``(release|launch)``), one per
    alternative. None when no such set is obvious (the pattern then runs on every text)."""
    one = required_literal(pattern)
    if one is not None:
        return (one,)
    body = pattern.removeprefix("\\b")
    if body.startswith("(?:"):
        start = 3
    elif body.startswith("(") and not body.startswith("(?"):
        start = 1
    else:
        return None
    parts: list[str] = []
    current: list[str] = []
    depth, escaped, end = 0, False, -1
    for i in range(start, len(body)):
        ch = body[i]
        if escaped or ch == "\\":
            escaped = not escaped
            current.append(ch)
            continue
        if ch == "(":
            depth += 1
        elif ch == ")" and depth == 0:
            end = i
            break
        elif ch == ")":
            depth -= 1
        elif ch == "|" and depth == 0:
            parts.append("".join(current))
            current = []
            continue
        current.append(ch)
    if end < 0 or body[end + 1 : end + 2] in ("?", "*") or body[end + 1 :].startswith("{0"):
        return None  # unbalanced, or the group may match nothing
    parts.append("".join(current))
    literals = [required_literal(part) for part in parts]
    if any(literal is None for literal in literals):
        return None
    return tuple(literal for literal in literals if literal is not None)


class KeywordIndex(Generic[L]):
    """Patterns grouped under labels; ``find`` returns the distinct matches per label."""

    def __init__(self, entries: Iterable[tuple[L, str]]) -> None:
        self._always: list[tuple[L, re.Pattern[str]]] = []
        self._indexed: list[tuple[L, re.Pattern[str]]] = []
        by_literal: dict[str, list[int]] = {}
        for label, pattern in entries:
            compiled = compile_ci(pattern)
            literals = required_literals(pattern)
            if literals is None:
                self._always.append((label, compiled))
                continue
            for literal in literals:
                by_literal.setdefault(literal, []).append(len(self._indexed))
            self._indexed.append((label, compiled))
        self._automaton = ahocorasick.Automaton()
        for literal, indices in by_literal.items():
            self._automaton.add_word(literal, tuple(indices))
        if by_literal:
            self._automaton.make_automaton()
        self._empty = not by_literal

    def any(self, text: str) -> bool:
        """Whether any pattern matches ``text`` (stops at the first that does)."""
        if not text:
            return False
        if any(pattern.search(text) for _label, pattern in self._always):
            return True
        if self._empty:
            return False
        tried: set[int] = set()
        for _end, indices in self._automaton.iter(ascii_lower(text)):
            for i in indices:
                if i not in tried:
                    tried.add(i)
                    if self._indexed[i][1].search(text):
                        return True
        return False

    def find(self, text: str) -> dict[L, set[str]]:
        found: dict[L, set[str]] = {}
        if not text:
            return found
        candidates: set[int] = (
            set().union(*[indices for _end, indices in self._automaton.iter(ascii_lower(text))])
            if not self._empty
            else set()
        )
        for label, pattern in self._always:
            for match in pattern.finditer(text):
                found.setdefault(label, set()).add(match.group(0).lower())
        for i in sorted(candidates):
            label, pattern = self._indexed[i]
            for match in pattern.finditer(text):
                found.setdefault(label, set()).add(match.group(0).lower())
        return found


def ascii_lower(text: str) -> str:
    """Lower-case ASCII letters only, keeping every other character (and so every offset);
    for ASCII text that is plain ``lower()``, which is much faster than a translation."""
    return text.lower() if text.isascii() else text.translate(ASCII_LOWER)
