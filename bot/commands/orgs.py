"""Organisation lookup as users type names: exact id, name or alias (any language) first,
then a name that starts with what was typed, then a fuzzy match (rapidfuzz); when unsure,
"did you mean ...". Country words and codes are not organisations."""

from __future__ import annotations

import re
import unicodedata

from rapidfuzz import fuzz, process
from rapidfuzz.distance import DamerauLevenshtein

from bot.attribution.registry import Org, Registry
from bot.commands.countries import country_code
from bot.commands.reply import UserError

GENERIC = ("ai", "labs", "lab", "inc", "technologies", "technology", "group", "research", "co")
SURE, UNSURE = 90.0, 78.0
_NON_WORD = re.compile(r"[\W_]+", re.UNICODE)


def fold(text: str) -> str:
    """Case, width, spacing and punctuation folded: "Open AI" and "OpenAI" are one name."""
    return _NON_WORD.sub("", unicodedata.normalize("NFKC", text).casefold())


def _bare(text: str) -> str:
    """The name without generic trailing words ("DeepSeek AI" -> "deepseek")."""
    words = unicodedata.normalize("NFKC", text).casefold().split()
    while len(words) > 1 and fold(words[-1]) in GENERIC:
        words.pop()
    return fold(" ".join(words))


class OrgLookup:
    def __init__(self, registry: Registry) -> None:
        self.registry = registry
        self._exact: dict[str, Org] = {}
        self._product: dict[str, Org] = {}
        self._choices: list[tuple[str, Org]] = []
        self._names: list[tuple[str, Org]] = []  # names and aliases, for prefixes
        for org in registry.orgs.values():
            for name in (org.id, org.name, *org.aliases, *org.hf, *org.github):
                key = fold(name)
                if key:
                    self._exact.setdefault(key, org)
                    self._exact.setdefault(_bare(name), org)
                    self._choices.append((key, org))
            self._names += [(fold(n), org) for n in (org.name, *org.aliases) if fold(n)]
            for product in org.products:
                if fold(product):
                    self._product.setdefault(fold(product), org)
                    self._choices.append((fold(product), org))
        # a parent wins an exact tie over its units: register parents first
        for org in registry.orgs.values():
            if org.parent is None:
                for name in (org.id, org.name, *org.aliases):
                    self._exact[fold(name)] = org

    def find(self, query: str) -> tuple[Org | None, list[Org]]:
        """The organisation meant, or None and up to three suggestions."""
        key, bare = fold(query), _bare(query)
        if not key:
            return None, []
        for candidate in (key, bare):
            if candidate in self._exact:
                return self._exact[candidate], []
        if key in self._product:
            return self._product[key], []
        prefixed = {o.id: o for k, o in self._names if len(key) >= 3 and k.startswith(key)}
        # "Microsoft" and "Microsoft Research Asia": the parent stands for its units
        roots = {self.registry.root(o).id for o in prefixed.values()}
        prefixed = {i: o for i, o in prefixed.items() if i in roots or o.parent not in prefixed}
        if len(prefixed) == 1:
            return next(iter(prefixed.values())), []
        if len(prefixed) > 1:
            return None, sorted(prefixed.values(), key=lambda o: (len(o.name), o.name))[:3]
        typo = self._one_typo(bare)
        if typo is not None:
            return typo, []
        scored = process.extract(bare, [k for k, _ in self._choices], scorer=fuzz.ratio, limit=12)
        ranked: dict[str, tuple[float, Org]] = {}
        for _name, score, index in scored:
            org = self._choices[index][1]
            if org.id not in ranked or ranked[org.id][0] < score:
                ranked[org.id] = (score, org)
        best = sorted(ranked.values(), key=lambda pair: -pair[0])
        if best and best[0][0] >= SURE and (len(best) == 1 or best[1][0] < best[0][0] - 3):
            return best[0][1], []
        return None, [o for score, o in best[:3] if score >= UNSURE]

    def _one_typo(self, key: str) -> Org | None:
        """The one organisation a name is a typo away from (one edit; two for long names)."""
        if len(key) < 4:
            return None
        allowed = 1 if len(key) < 8 else 2
        near: dict[str, tuple[int, Org]] = {}
        for name, org in self._choices:
            distance = DamerauLevenshtein.distance(key, name, score_cutoff=allowed)
            if distance <= allowed and distance < near.get(org.id, (allowed + 1, org))[0]:
                near[org.id] = (distance, org)
        # the nearest name wins when no other organisation is as near ("deepseak": DeepSeek
        # at one edit, deepset at two)
        closest = min((d for d, _ in near.values()), default=0)
        nearest = [org for d, org in near.values() if d == closest]
        return nearest[0] if len(nearest) == 1 else None

    def one(self, query: str, command: str = "race") -> Org:
        """The organisation meant, or a ``UserError`` that says what to try instead."""
        code = country_code(query)
        if code is not None:
            raise UserError(
                f"'{query[:40]}' is a country, not an organisation: try /{command} latest {code}."
            )
        org, suggestions = self.find(query)
        if org is not None:
            return org
        if suggestions:
            names = " or ".join(f"'{o.name}'" for o in suggestions)
            raise UserError(f"No organisation is called '{query[:60]}'. Did you mean {names}?")
        raise UserError(
            f"No organisation matches '{query[:60]}'. /{command} org lists none like it; "
            "check the spelling or use the English or Chinese name."
        )

    def family(self, org: Org) -> list[str]:
        """The organisation and every organisation under the same parent."""
        root = self.registry.root(org).id
        return [o.id for o in self.registry.orgs.values() if self.registry.root(o).id == root]
