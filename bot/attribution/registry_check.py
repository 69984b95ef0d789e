"""``racewatch orgs --check``: what is wrong with organisation files, with file, line and a hint.

Loading a registry only needs each entry to be well-formed. Checking goes further, because
the mistakes that hurt are the ones that load fine: a name that two entries claim (the
matcher then credits either), a parent that does not exist, a country code that is not one,
a Hugging Face namespace that belongs to a community of re-uploaders rather than to the
organisation, or an ``ambiguous`` name that is none of the entry's names (so it protects
nothing). Pure: it reads the files it is given and returns problems.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from iso3166 import countries_by_alpha2, countries_by_alpha3, countries_by_name

from bot.attribution.matcher import SHORT_CASE_SENSITIVE
from bot.attribution.places import place_ids
from bot.attribution.registry import OrgSpec
from bot.errors import ConfigError, Problem
from bot.located_yaml.validate import validate
from bot.located_yaml.yamlsrc import Loc, SourceText, read_yaml

# Accounts that re-upload, quantise or convert other labs' models for everyone; none of them
# is the organisation whose models they carry, so none may be an organisation's namespace.
COMMUNITY_NAMESPACES = frozenset(
    ns.lower()
    for ns in (
        "mlx-community",
        "lmstudio-community",
        "TheBloke",
        "bartowski",
        "QuantFactory",
        "mradermacher",
        "MaziyarPanahi",
        "second-state",
        "legraphista",
        "RichardErkhov",
        "DevQuasar",
        "huihui-ai",
        "gaianet",
        "LoneStriker",
        "turboderp",
        "TheBlokeAI",
        "city96",
        "Comfy-Org",
        "ggml-org",
        "onnx-community",
        "Xenova",
        "openvino",
        "OpenVINO",
        "RedHatAI",
        "neuralmagic",
        "cognitivecomputations",
        "NexaAI",
        "nm-testing",
    )
)
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")  # names written in Chinese characters
# Codes people write for a country that ISO 3166 spells differently.
_COUNTRY_HINTS = {"UK": "GB", "EN": "GB", "EL": "GR", "KO": "KR", "JA": "JP", "ZH": "CN"}


@dataclass(frozen=True)
class _Entry:
    spec: OrgSpec
    src: SourceText
    index: int

    def line(self, *loc: str | int) -> int | None:
        return self.src.line_of(("organisations", self.index, *loc))

    def problem(self, loc: Loc, message: str, hint: str = "") -> Problem:
        where = f"organisation '{self.spec.id}'" + (f" {loc[0]}" if loc else "")
        return Problem(self.src.file, self.line(*loc), where, message, hint)

    @property
    def place(self) -> str:
        return f"{self.src.file}:{self.line()}"


def country_hint(code: str) -> str:
    """What to write instead of ``code``, when we can tell."""
    text = code.strip()
    if text.upper() in _COUNTRY_HINTS:
        return f"the ISO 3166 code is '{_COUNTRY_HINTS[text.upper()]}'"
    hit = countries_by_alpha3.get(text.upper()) or countries_by_name.get(text.upper())
    if hit is not None:
        return f"use the two-letter ISO 3166 code '{hit.alpha2}' ({hit.name})"
    return "use a two-letter ISO 3166-1 code such as CN, US, GB, FR, JP, KR"


def _read(path: Path) -> tuple[list[_Entry], list[Problem]]:
    try:
        src = read_yaml(path)
    except ConfigError as exc:
        return [], exc.problems
    data = src.data
    if not isinstance(data, dict) or not isinstance(data.get("organisations"), list):
        hint = "start the file with 'organisations:' followed by one '- {id: ..., ...}' per entry"
        return [], [Problem(src.file, 1, "", "no 'organisations:' list in this file", hint)]
    extra = sorted(k for k in data if k != "organisations")
    problems = [
        Problem(src.file, src.line_of((k,)), k, f"unknown top-level key '{k}'", "remove it")
        for k in extra
    ]
    entries: list[_Entry] = []
    for i, raw in enumerate(data["organisations"]):
        country = raw.get("country") if isinstance(raw, dict) else None
        if isinstance(raw, dict) and isinstance(country, str) and not _is_country(country):
            # reported once, here, with a better hint than the pattern pydantic would quote
            who = raw.get("id", f"#{i + 1}")
            problems.append(
                Problem(
                    src.file,
                    src.line_of(("organisations", i, "country")),
                    f"organisation '{who}' country",
                    f"'{country}' is not an ISO 3166 country code",
                    country_hint(country),
                )
            )
            raw = {**raw, "country": "ZZ"}
        spec, found = validate(OrgSpec, src, raw, ("organisations", i))
        problems += found
        if spec is not None:
            entries.append(_Entry(spec, src, i))
    return entries, problems


# Reserved by ISO 3166 for the European Union, which makes AI rules as one actor.
_EXCEPTIONALLY_RESERVED = frozenset({"EU"})


def _is_country(code: str) -> bool:
    return code in countries_by_alpha2 or code in _EXCEPTIONALLY_RESERVED


def _names(spec: OrgSpec) -> list[tuple[str, int, str]]:
    """(field, index, name) for every name the matcher looks for."""
    return [
        *(("aliases", i, n) for i, n in enumerate(spec.aliases)),
        *(("products", i, n) for i, n in enumerate(spec.products)),
    ]


def match_key(name: str, ambiguous: bool) -> str:
    """Two names the matcher cannot tell apart have the same key: short and ambiguous Latin
    names match with their case ("LLaMA" and "Llama" are two names), the rest without."""
    if not _CJK.search(name) and (len(name) <= SHORT_CASE_SENSITIVE or ambiguous):
        return name
    return name.casefold()


def _keys(spec: OrgSpec) -> Iterable[tuple[str, str, int, str]]:
    """(kind, field, index, key) for everything that must point at one organisation only."""
    for field, i, name in _names(spec):
        yield "name", field, i, match_key(name.strip(), name in spec.ambiguous)
    for field in ("hf", "modelscope"):
        for i, ns in enumerate(getattr(spec, field)):
            yield f"{field} namespace", field, i, ns.lower()
    for i, owner in enumerate(spec.github):
        yield "GitHub owner", "github", i, owner.lower()
    for i, domain in enumerate(spec.domains):
        yield "domain", "domains", i, domain.lower().removeprefix("www.")


def _entry_problems(entry: _Entry) -> list[Problem]:
    spec, problems = entry.spec, []
    names = {n for _f, _i, n in _names(spec)}
    for i, name in enumerate(spec.ambiguous):
        if name not in names:
            close = difflib.get_close_matches(name, sorted(names), n=1)
            problems.append(
                entry.problem(
                    ("ambiguous", i),
                    f"'{name}' is marked ambiguous but is not one of this entry's names",
                    f"did you mean '{close[0]}'?"
                    if close
                    else "add it to aliases or products, or remove it from ambiguous",
                )
            )
    for field in ("hf", "modelscope"):
        for i, ns in enumerate(getattr(spec, field)):
            if ns.lower() in COMMUNITY_NAMESPACES:
                problems.append(
                    entry.problem(
                        (field, i),
                        f"'{ns}' is a community namespace that re-uploads other labs' models",
                        "list only namespaces the organisation itself publishes under",
                    )
                )
    for i, domain in enumerate(spec.domains):
        if "/" in domain or ":" in domain or " " in domain:
            problems.append(
                entry.problem(
                    ("domains", i),
                    f"'{domain}' is not a host name",
                    "write the host only, e.g. 'example.com' (no scheme, no path)",
                )
            )
    return problems


def _duplicates(entries: Sequence[_Entry]) -> list[Problem]:
    problems: list[Problem] = []
    owner: dict[tuple[str, str], _Entry] = {}
    for entry in entries:
        for kind, field, i, key in _keys(entry.spec):
            if not key:
                continue
            first = owner.setdefault((kind, key), entry)
            if first is entry:
                continue
            problems.append(
                entry.problem(
                    (field, i),
                    f"{kind} '{key}' also belongs to '{first.spec.id}' ({first.place})",
                    "a name or namespace can point to one organisation only: keep it on one "
                    f"entry, or use id '{first.spec.id}' to override that entry",
                )
            )
    return problems


def _parents(entries: Sequence[_Entry]) -> list[Problem]:
    by_id = {e.spec.id: e for e in entries}
    problems: list[Problem] = []
    for entry in entries:
        parent = entry.spec.parent
        if parent is None:
            continue
        if parent not in by_id:
            close = difflib.get_close_matches(parent, sorted(by_id), n=1)
            hint = f"did you mean '{close[0]}'?" if close else "a parent is another entry's id"
            problems.append(entry.problem(("parent",), f"unknown parent '{parent}'", hint))
            continue
        chain = [entry.spec.id]
        at: str | None = parent
        while at is not None and at in by_id and at not in chain:
            chain.append(at)
            at = by_id[at].spec.parent
        if at == entry.spec.id:
            problems.append(
                entry.problem(
                    ("parent",),
                    "parent chain comes back to itself: " + " -> ".join([*chain, at]),
                    "the organisation at the top of a chain has no parent",
                )
            )
    return problems


def check_files(paths: Sequence[Path], base: Sequence[Path] = ()) -> tuple[int, list[Problem]]:
    """Check ``paths`` as the user's files on top of the ``base`` files (the shipped registry).

    An entry in ``paths`` with the id of a base entry replaces it, as when racewatch loads
    them; problems are reported in ``paths`` only, except for a broken base file.
    Returns the number of organisations that would be loaded, and the problems.
    """
    problems: list[Problem] = []
    base_entries: list[_Entry] = []
    for path in base:
        found, broken = _read(path)
        base_entries += found
        problems += broken
    user_entries: list[_Entry] = []
    first_of: dict[str, _Entry] = {}
    for path in paths:
        found, broken = _read(path)
        problems += broken
        for entry in found:
            earlier = first_of.setdefault(entry.spec.id, entry)
            if earlier is not entry:
                problems.append(
                    entry.problem(
                        (),
                        f"id '{entry.spec.id}' is already used at {earlier.place}",
                        "give each organisation its own id (the later entry would win)",
                    )
                )
            problems += _entry_problems(entry)
        user_entries += found
    winners = {e.spec.id: e for e in user_entries}  # as when loading: the last one wins
    everything = [*(e for e in base_entries if e.spec.id not in winners), *winners.values()]
    mine = {e.src.file for e in user_entries}
    problems += [p for p in (*_duplicates(everything), *_parents(everything)) if p.file in mine]
    ids = {e.spec.id for e in everything}
    # countries, origins and people from places.yaml are loaded with the registry too
    ids |= place_ids(ids)
    return len(ids), problems
