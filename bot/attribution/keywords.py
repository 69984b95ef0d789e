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


_WORD_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")


class _Plain:
    """A pattern that is a literal, perhaps with ``\\b`` at either end and one optional last
    character (``\\blaws?\\b``): checked at the automaton's hit without running a regex.
    ``core`` is the lower-cased literal the automaton finds; ``optional`` the character that
    may follow it. Matches exactly what the regex (ASCII, case-insensitive) matches."""

    __slots__ = ("core", "lead", "optional", "trail")

    def __init__(self, core: str, optional: str, lead: bool, trail: bool) -> None:
        self.core, self.optional, self.lead, self.trail = core, optional, lead, trail

    @staticmethod
    def parse(pattern: str) -> _Plain | None:
        lead = pattern.startswith("\\b")
        body = pattern[2:] if lead else pattern
        trail = body.endswith("\\b")
        body = body[:-2] if trail else body
        optional = ""
        if len(body) >= 2 and body[-1] == "?" and body[-2] not in _META:
            optional, body = body[-2].translate(ASCII_LOWER), body[:-1][:-1]
        if not body or any(ch in _META for ch in body):
            return None
        if (lead and body[0] not in _WORD_CHARS) or (
            trail and (body[-1] not in _WORD_CHARS or (optional and optional not in _WORD_CHARS))
        ):
            return None  # a boundary beside a non-word character: leave it to the regex
        core = body.translate(ASCII_LOWER)
        if len(core) < 2 and core.isascii():
            return None  # indexed by no literal (see required_literal)
        return _Plain(core, optional, lead, trail)

    def at(self, text: str, lowered: str, end: int) -> str | None:
        """The match whose core ends at ``end`` in ``text`` (its lower case), if any."""
        start = end - len(self.core)
        if self.lead and start > 0 and text[start - 1] in _WORD_CHARS:
            return None
        if (
            self.optional
            and lowered[end : end + 1] == self.optional
            and (not self.trail or text[end + 1 : end + 2] not in _WORD_CHARS)
        ):
            return text[start : end + 1].lower()
        if self.trail and end < len(text) and text[end] in _WORD_CHARS:
            return None
        return text[start:end].lower()


class KeywordIndex(Generic[L]):
    """Patterns grouped under labels; ``find`` returns the distinct matches per label.

    One Aho-Corasick pass over the text finds each pattern's literal; a pattern that is only
    its literal (most of them) is then decided there and then, and only the few others run
    their regex."""

    def __init__(self, entries: Iterable[tuple[L, str]]) -> None:
        self._always: list[tuple[L, re.Pattern[str]]] = []
        self._indexed: list[tuple[L, re.Pattern[str]]] = []
        by_literal: dict[str, list[tuple[int, L, _Plain | None]]] = {}
        for label, pattern in entries:
            compiled = compile_ci(pattern)
            literals = required_literals(pattern)
            if literals is None:
                self._always.append((label, compiled))
                continue
            plain = _Plain.parse(pattern)
            for literal in literals:
                decided = plain if plain is not None and plain.core == literal else None
                entry = (len(self._indexed), label, decided)
                by_literal.setdefault(literal, []).append(entry)
            self._indexed.append((label, compiled))
        self._automaton = ahocorasick.Automaton()
        for literal, found in by_literal.items():
            self._automaton.add_word(literal, tuple(found))
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
        lowered = ascii_lower(text)
        for end, found in self._automaton.iter(lowered):
            for i, _label, plain in found:
                if plain is not None:
                    if plain.at(text, lowered, end + 1) is not None:
                        return True
                elif i not in tried:
                    tried.add(i)
                    if self._indexed[i][1].search(text):
                        return True
        return False

    def find(self, text: str) -> dict[L, set[str]]:
        found: dict[L, set[str]] = {}
        if not text:
            return found
        for label, pattern in self._always:
            for match in pattern.finditer(text):
                found.setdefault(label, set()).add(match.group(0).lower())
        if self._empty:
            return found
        lowered = ascii_lower(text)
        regexes: set[int] = set()
        for end, hits in self._automaton.iter(lowered):
            for i, label, plain in hits:
                if plain is None:
                    regexes.add(i)
                    continue
                match = plain.at(text, lowered, end + 1)
                if match is not None:
                    found.setdefault(label, set()).add(match)
        for i in sorted(regexes):
            label, pattern = self._indexed[i]
            for match in pattern.finditer(text):
                found.setdefault(label, set()).add(match.group(0).lower())
        return found


def ascii_lower(text: str) -> str:
    """Lower-case ASCII letters only, keeping every other character (and so every offset);
    for ASCII text that is plain ``lower()``, which is much faster than a translation."""
    return text.lower() if text.isascii() else text.translate(ASCII_LOWER)
