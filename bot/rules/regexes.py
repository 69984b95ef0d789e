"""Rule regexes that cannot exhaust memory or time.

Three bounds, each checked where it is cheapest:

- at validation, a pattern is refused when it is longer than ``MAX_PATTERN`` characters or
  when its counted repeats would compile to more than ``MAX_EXPANSION`` units
  (``((a{100}){100}){100}`` is a million copies of ``a``: the ``regex`` module unrolls counted
  repeats at compile time, so such a pattern takes gigabytes before it ever runs);
- compiled patterns are kept in a cache of ``CACHE_SIZE`` entries, so with the two bounds
  above the cache's memory is bounded too;
- at evaluation, a :class:`RegexBudget` hands each search the wall-clock time still left for
  the item and for the whole batch, never more than ``PER_EVALUATION``. The ``regex`` module
  stops a search at its ``timeout`` and releases the GIL while it searches
  (``concurrent=True``), so the rest of the process keeps running meanwhile.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import regex

MAX_PATTERN = 500  # characters
MAX_EXPANSION = 5_000  # units after counted repeats are multiplied out
CACHE_SIZE = 256
PER_EVALUATION = 0.05  # seconds, the most one search may take
PER_ITEM = 0.15  # seconds for every regex of every rule on one item
PER_BATCH = 3.0  # seconds for one source's batch of new items


def check_pattern(pattern: str) -> None:
    """Raise ``ValueError`` naming the problem when a pattern is too big or does not compile."""
    if len(pattern) > MAX_PATTERN:
        raise ValueError(
            f"the regular expression is {len(pattern)} characters long; "
            f"at most {MAX_PATTERN} are allowed"
        )
    size = expansion(pattern)
    if size > MAX_EXPANSION:
        raise ValueError(
            f"the regular expression's counted repeats multiply out to {size:,} "
            f"(at most {MAX_EXPANSION:,}); use + or * instead of large {{n}} counts"
        )
    try:
        compiled(pattern)
    except regex.error as exc:
        raise ValueError(f"invalid regular expression: {exc}") from None


def _quantifier(pattern: str, at: int) -> tuple[int, int] | None:
    """``{m}``, ``{m,}``, ``{,n}`` or ``{m,n}`` at ``at``: (copies, end) or None if literal."""
    end = pattern.find("}", at)
    if end < 0:
        return None
    low, comma, high = pattern[at + 1 : end].partition(",")
    low, high = low.strip(), high.strip()
    if not (low.isdigit() or (comma and high.isdigit() and not low)):
        return None
    if high and not high.isdigit():
        return None
    counts = [int(v) for v in (low, high) if v]
    copies = max(counts) + (1 if comma and not high else 0)
    return max(1, copies), end + 1


def _skip_class(pattern: str, at: int) -> int:
    """The index after the set that opens at ``at`` (``[``)."""
    i = at + 1
    if i < len(pattern) and pattern[i] == "^":
        i += 1
    if i < len(pattern) and pattern[i] == "]":
        i += 1
    while i < len(pattern) and pattern[i] != "]":
        i += 2 if pattern[i] == "\\" else 1
    return i + 1


def _skip_escape(pattern: str, at: int) -> int:
    """The index after the escape that starts at ``at`` (``\\``), braces included."""
    i = at + 2
    if at + 1 < len(pattern) and pattern[at + 1] in "pPNxgu" and pattern[i : i + 1] in "{<":
        close = pattern.find("}" if pattern[i] == "{" else ">", i)
        i = close + 1 if close > 0 else len(pattern)
    return i


def expansion(pattern: str) -> int:
    """An upper bound of the units a pattern compiles to once counted repeats are unrolled
    (every alternative counted, every atom one unit)."""
    frames: list[list[int]] = [[]]
    i = 0
    while i < len(pattern):
        char = pattern[i]
        if char == "\\":
            frames[-1].append(1)
            i = _skip_escape(pattern, i)
        elif char == "[":
            frames[-1].append(1)
            i = _skip_class(pattern, i)
        elif char == "(" and pattern.startswith("(?#", i):
            close = pattern.find(")", i)
            i = close + 1 if close > 0 else len(pattern)
        elif char == "(":
            frames.append([])
            i += 1
        elif char == ")" and len(frames) > 1:
            group = sum(frames.pop()) + 1
            frames[-1].append(group)
            i += 1
        elif char == "{" and frames[-1] and (found := _quantifier(pattern, i)):
            copies, i = found
            frames[-1][-1] *= copies
        else:
            frames[-1].append(1)
            i += 1
    while len(frames) > 1:  # unbalanced: the compiler will say so; count what is there
        group = sum(frames.pop())
        frames[-1].append(group)
    return sum(frames[0])


@functools.lru_cache(maxsize=CACHE_SIZE)
def compiled(pattern: str) -> regex.Pattern[str]:
    return regex.compile(pattern, regex.IGNORECASE)


@dataclass
class RegexBudget:
    """Wall-clock seconds left for regex searches: for the current item and for the batch.

    Call :meth:`next_item` before each item. A search gets at most ``per_evaluation`` and never
    more than what is left of either budget; once one is spent, searches are skipped."""

    per_item: float = PER_ITEM
    per_batch: float = PER_BATCH
    per_evaluation: float = PER_EVALUATION
    clock: Callable[[], float] = time.monotonic
    item_spent: float = 0.0
    batch_spent: float = 0.0
    skipped: int = field(default=0)

    def next_item(self) -> None:
        self.item_spent = 0.0

    def allowance(self) -> float:
        return min(
            self.per_evaluation, self.per_item - self.item_spent, self.per_batch - self.batch_spent
        )

    def search(self, pattern: str, text: str) -> bool | None:
        """True or False, or None when the search was stopped or skipped for lack of time."""
        allowed = self.allowance()
        if allowed <= 0:
            self.skipped += 1
            return None
        started = self.clock()
        try:
            return compiled(pattern).search(text, timeout=allowed, concurrent=True) is not None
        except TimeoutError:
            self.skipped += 1
            return None
        finally:
            spent = max(0.0, self.clock() - started)
            self.item_spent += spent
            self.batch_spent += spent
