"""Closest misses: for a rule that matched nothing, which of its conditions failed most
often, and the items that came nearest (fewest conditions failed). Pure."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from bot.rules.facts import Facts
from bot.rules.match import Outcome, evaluate
from bot.rules.model import Condition
from bot.rules.regexes import RegexBudget

_LABEL = {"not_": "not", "in_": "in"}


def _parts(cond: Condition) -> list[tuple[str, Condition]]:
    """Each condition of ``cond`` on its own (nested all/any/not each one part)."""
    parts = []
    for name in sorted(cond.model_fields_set - {"in_"}, key=list(Condition.model_fields).index):
        one = Condition.model_construct(**{name: getattr(cond, name), "in_": cond.in_})
        parts.append((_LABEL.get(name, name), one))
    return parts


@dataclass
class Misses:
    checked: int = 0
    failed: Counter[str] = field(default_factory=Counter)  # condition -> items it failed on
    closest: list[tuple[int, str, list[str]]] = field(default_factory=list)

    def lines(self, show: int = 3) -> list[str]:
        """What a person reads under a rule that matched nothing."""
        if not self.checked:
            return ["no items to test it on"]
        most = ", ".join(
            f"{name} (failed on {n} of {self.checked} items)"
            for name, n in self.failed.most_common(3)
        )
        out = [f"matched none of {self.checked} items; the conditions that failed most: {most}"]
        for failures, label, whys in sorted(self.closest, key=lambda c: c[0])[:show]:
            only = "only " if failures == 1 else ""
            out.append(f"closest: {label}: failed {only}{'; '.join(whys)}")
        return out


def closest_misses(
    cond: Condition | None, items: Iterable[tuple[str, Facts]], keep: int = 3
) -> Misses:
    """How each of ``items`` (label, facts) fails ``cond``, condition by condition."""
    misses = Misses()
    if cond is None:
        return misses
    parts = _parts(cond)
    budget = RegexBudget()
    for label, facts in items:
        budget.next_item()
        outcomes: list[tuple[str, Outcome]] = [
            (name, evaluate(one, facts, budget)) for name, one in parts
        ]
        failed = [(name, o) for name, o in outcomes if not o.matched]
        misses.checked += 1
        misses.failed.update(name for name, _ in failed)
        if failed:
            misses.closest.append((len(failed), label, [o.why for _, o in failed]))
            misses.closest = sorted(misses.closest, key=lambda c: c[0])[:keep]
    return misses
