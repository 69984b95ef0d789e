"""Rule values that only the running configuration can check: organisations and sources.

Pure: the caller passes what is known (the registry's names, the configured sources) and
gets each unknown value back with where it is in the rule and a "did you mean".
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass

from bot.rules.model import Condition, Mute, Rule

Where = tuple[str | int, ...]


@dataclass(frozen=True)
class Known:
    orgs: Mapping[str, str]  # lower-case id, name or alias -> "id (Name)"
    sources: frozenset[str]

    @classmethod
    def of(cls, orgs: Iterable[tuple[str, str, Sequence[str]]], sources: Iterable[str]) -> Known:
        """From (id, name, aliases) per organisation and the source names."""
        names: dict[str, str] = {}
        for org_id, name, aliases in orgs:
            for spelling in (org_id, name, *aliases):
                names.setdefault(spelling.lower(), f"{org_id} ({name})")
        return cls(names, frozenset(sources))


@dataclass(frozen=True)
class UnknownValue:
    where: Where  # inside the rule: ("when", "all", 0, "org", 1)
    message: str
    hint: str


def _conditions(cond: Condition, where: Where) -> Iterator[tuple[Condition, Where]]:
    yield cond, where
    for name, nested in (("all", cond.all), ("any", cond.any)):
        for i, inner in enumerate(nested or ()):
            yield from _conditions(inner, (*where, name, i))
    if cond.not_ is not None:
        yield from _conditions(cond.not_, (*where, "not"))


def unknown_values(rule: Rule | Mute, known: Known) -> list[UnknownValue]:
    """Every organisation and source a rule names that racewatch does not know."""
    if rule.when is None:
        return []
    out: list[UnknownValue] = []
    for cond, where in _conditions(rule.when, ("when",)):
        for i, value in enumerate(cond.org or ()):
            if value.strip().lower() not in known.orgs:
                near = difflib.get_close_matches(value.lower(), list(known.orgs), 3, 0.6)
                hint = (
                    "did you mean " + " or ".join(dict.fromkeys(known.orgs[n] for n in near)) + "?"
                    if near
                    else "see racewatch orgs for the organisations racewatch knows"
                )
                out.append(
                    UnknownValue((*where, "org", i), f"unknown organisation '{value}'", hint)
                )
        for i, value in enumerate(cond.source or ()):
            if value not in known.sources:
                near = difflib.get_close_matches(value, sorted(known.sources), 3, 0.6)
                hint = (
                    f"did you mean {' or '.join(near)}?"
                    if near
                    else "see racewatch sources for the configured source names"
                )
                out.append(UnknownValue((*where, "source", i), f"unknown source '{value}'", hint))
    return out
