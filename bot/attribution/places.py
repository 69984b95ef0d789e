"""Countries as actors and origins, and people as weak names of their organisations, from
``places.yaml``: turned into registry entries so the matcher finds them like any other name.

Per country: ``{cc}-state`` (the country named; weak), ``{cc}-gov`` (who acts for it:
agencies, heads of state, ministers; the primary organisation of a policy item) and
``{cc}-origin`` ("a Hangzhou-based start-up", "Chinese AI firm"; weak, used only when no
organisation is named). People: ``{org}-people``, a weak child of their organisation.
Entries the registry already has (``cn-state``) gain these names; nothing is removed.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import yaml

from bot.attribution.registry import Org

_FILE = Path(__file__).with_name("places.yaml")
_ORIGIN_NOUNS = (
    "startup",
    "start-up",
    "AI startup",
    "AI start-up",
    "company",
    "firm",
    "AI firm",
    "AI company",
    "tech giant",
    "tech firm",
    "tech company",
    "AI lab",
    "AI developer",
    "AI model developer",
    "chipmaker",
    "unicorn",
    "AI unicorn",
    "researchers",
    # plurals: "Chinese tech firms rise in Hong Kong debut"
    "startups",
    "start-ups",
    "AI startups",
    "AI start-ups",
    "companies",
    "firms",
    "AI firms",
    "AI companies",
    "tech giants",
    "tech firms",
    "tech companies",
    "AI labs",
    "AI developers",
    "chipmakers",
)
_CITY_FORMS = (
    "{c}-based",
    "{c} based",
    "a {c} start-up",
    "a {c} startup",
    "{c} start-up",
    "{c} startup",
)


def _org(org_id: str, name: str, country: str, kind: str, names: list[str], **extra: Any) -> Org:
    unique = tuple(dict.fromkeys(n for n in names if n))
    return Org(
        org_id,
        name,
        country,
        kind,
        extra.get("parent"),
        unique,
        (),
        frozenset(unique) if extra.get("weak") else frozenset(),
        (),
        (),
        (),
        (),
        "from places.yaml",
        bool(extra.get("weak")),
    )


def _merge(base: Org | None, extra: Org) -> Org:
    if base is None:
        return extra
    aliases = tuple(dict.fromkeys((*base.aliases, *extra.aliases)))
    ambiguous = base.ambiguous | extra.ambiguous if base.weak else base.ambiguous
    return replace(base, aliases=aliases, ambiguous=ambiguous)


def place_orgs(known: dict[str, Org], path: Path = _FILE) -> list[Org]:
    """The entries ``places.yaml`` adds to (or merges into) ``known``."""
    doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    out: list[Org] = []
    for cc, spec in (doc.get("countries") or {}).items():
        demonym = spec.get("demonym", cc)
        state = _org(
            f"{cc.lower()}-state",
            f"{cc} government",
            cc,
            "government",
            spec.get("state", []),
            weak=True,
        )
        actors = _org(
            f"{cc.lower()}-gov", f"{cc} government", cc, "government", spec.get("actors", [])
        )
        origin_names = [f"{demonym} {noun}" for noun in _ORIGIN_NOUNS]
        origin_names += [form.format(c=c) for c in spec.get("cities", []) for form in _CITY_FORMS]
        origin_names += spec.get("origin", [])  # the same in other languages, written out
        origin = _org(
            f"{cc.lower()}-origin",
            f"an organisation from {cc}",
            cc,
            "origin",
            origin_names,
            weak=True,
        )
        for org in (state, actors, origin):
            if org.aliases:
                out.append(_merge(known.get(org.id), org))
    for org_id, names in (doc.get("people") or {}).items():
        parent = known.get(org_id)
        if parent is None:
            continue
        out.append(
            _org(
                f"{org_id}-people",
                f"{parent.name} (its leaders)",
                parent.country,
                "people",
                names,
                parent=org_id,
                weak=True,
            )
        )
    return out


def place_ids(known: set[str], path: Path = _FILE) -> set[str]:
    """The ids of the entries ``places.yaml`` gives a registry holding ``known`` ids."""
    doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    out: set[str] = set()
    for cc, spec in (doc.get("countries") or {}).items():
        for part, suffix in (("state", "state"), ("actors", "gov")):
            if spec.get(part):
                out.add(f"{cc.lower()}-{suffix}")
        out.add(f"{cc.lower()}-origin")  # every country has its demonym's phrases
    return out | {f"{o}-people" for o in doc.get("people") or {} if o in known}
