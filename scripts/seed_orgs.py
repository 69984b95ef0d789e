#!/usr/bin/env python3
"""Seed config/orgs.yaml from Epoch AI's public lists, and measure what the registry covers.

    python scripts/seed_orgs.py [--epoch DIR] [--write] [--report]

Reads Epoch AI's "Data on AI Models" (https://epoch.ai/data, CC BY 4.0): organizations.csv
(every organisation that made a notable model, with its country) and
notable_ai_models_2024.csv (the models; their names become products). For each Epoch
organisation the registry does not know yet (by name, or by a name in scripts/epoch_extra.yaml)
it writes one entry at the end of the "Seeded from Epoch AI" block of config/orgs.yaml.

It never rewrites an entry that is already there: seeded entries are plain YAML that people
edit (Chinese names, hub namespaces, a better id). To keep one out for good, list it under
`skip:` in scripts/epoch_extra.yaml. Anonymised Epoch rows ("Internet Company K", "Bank J")
and rows whose country is unknown are left out.

Every name of a seeded entry is marked ambiguous: a university, a hospital or a bank named in
a headline is not an AI story, so these names count only in text about AI, and with their case.
Names of several organisations' models are nobody's product, and common words are never one.

--report prints coverage: the share of Epoch's Chinese and US organisations the registry
knows, and the share of their 2023-2024 notable model names attributed to the right country.
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from iso3166 import countries_by_name
from wordfreq import zipf_frequency

from bot.attribution.matcher import Matcher
from bot.attribution.registry import OrgSpec, Registry, _to_org
from bot.stories.keys import Families
from bot.stories.release import families_of

ROOT = Path(__file__).resolve().parent.parent
ORGS = ROOT / "config" / "orgs.yaml"
EXTRA = Path(__file__).resolve().parent / "epoch_extra.yaml"
DEFAULT_EPOCH = Path(__file__).resolve().parent / "data" / "epoch"  # columns we use
BEGIN = "  # ---------------------------------------------------------------- Seeded from Epoch AI"
END = "  # ---------------------------------------------------------------- end of Epoch AI seed"
CREDIT = "Epoch AI, 'Data on AI Models', https://epoch.ai/data (CC BY 4.0)"

# Epoch writes countries UN-style; ISO 3166 spells a few of them differently.
UN_NAMES = {
    "Korea (Republic of)": "KR",
    "Iran (Islamic Republic of)": "IR",
    "Russia": "RU",
    "Vietnam": "VN",
    "Taiwan": "TW",
    "Hong Kong": "HK",
    "Macao": "MO",
    "Czechia": "CZ",
}
# Words of Epoch's anonymised rows ("Internet Service A", "Bank J", "Energy Company C").
_ANONYMOUS_WORDS = set(
    [
        "internet",
        "service",
        "company",
        "bank",
        "energy",
        "manufacturing",
        "industry",
        "research",
        "institute",
        "telecom",
        "telecommunication",
        "operator",
        "cloud",
        "network",
        "financial",
        "technology",
        "security",
        "center",
        "chinese",
        "supercomputing",
        "ai",
        "laboratory",
        "provider",
    ]
)
# Model names that are architectures or methods, not anyone's product.
_GENERIC_MODELS = set(
    [
        "transformer",
        "lstm",
        "lstms",
        "gru",
        "grus",
        "rnn",
        "rnns",
        "cnn",
        "cnns",
        "mlp",
        "u-net",
        "unet",
        "resnet",
        "gan",
        "gans",
        "vae",
        "mamba",
        "diffusion",
        "baseline",
        "seq2seq",
        "word2vec",
        "attention",
    ]
)


@dataclass
class EpochOrg:
    name: str
    country: str
    category: str
    models: list[str] = field(default_factory=list)


def country_code(cell: str) -> str | None:
    """The first real country of an Epoch cell ("Multinational,United States of America")."""
    for part in cell.split(","):
        part = part.strip()
        if not part or part == "Multinational":
            continue
        if part in UN_NAMES:
            return UN_NAMES[part]
        hit = countries_by_name.get(part.upper())
        if hit is not None:
            return str(hit.alpha2)
    return None


def anonymous(name: str) -> bool:
    words = [w for w in re.split(r"\s+", name.strip()) if w]
    return all(w.lower() in _ANONYMOUS_WORDS or re.fullmatch(r"[A-Z]", w) for w in words)


def read_epoch(folder: Path) -> tuple[dict[str, EpochOrg], list[tuple[str, str, str]]]:
    """Organisations by name, and (model, first organisation, year) for each notable model."""
    orgs: dict[str, EpochOrg] = {}
    with (folder / "organizations.csv").open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            name = row["Organization"].strip()
            code = country_code(row["Country"])
            if name and name not in orgs:  # no country: only with one in epoch_extra.yaml
                orgs[name] = EpochOrg(name, code or "", row["Organization categorization"].strip())
    models: list[tuple[str, str, str]] = []
    with (folder / "notable_ai_models_2024.csv").open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            makers = list(dict.fromkeys(o.strip() for o in row["Organization"].split(",")))
            model, year = row["Model"].strip(), row["Publication date"][:4]
            models.append((model, makers[0], year))
            # a model of several organisations is no one's product name
            if len(makers) == 1 and makers[0] in orgs and year >= "2019":
                orgs[makers[0]].models.append(model)
    return orgs, models


def product_name(model: str) -> str | None:
    """A model name worth matching in text ("ESM3 (98B)" -> "ESM3"), or None."""
    name = re.sub(r"\s*\([^)]*\)\s*", " ", model).strip()
    if not name or len(name) < 4 or len(name) > 40 or re.search(r"[+:;,/]|\s-\s", name):
        return None
    words = name.split()
    if len(words) > 3 or name.lower() in _GENERIC_MODELS:
        return None
    if not re.search(r"[A-Z0-9]", name):  # "decoupled weight decay" is a method, not a model
        return None
    if len(words) == 1 and name.isalpha() and zipf_frequency(name.lower(), "en") >= 3.0:
        return None  # a common word ("Amber", "Orca") would fire on everyday text
    return name


def slug(name: str) -> str:
    text = re.sub(r"\([^)]*\)", " ", name).lower().replace("&", " and ")
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-")[:60].strip("-") or "org"


def org_type(category: str, name: str) -> str:
    if "Academia" in category:
        university = re.search(r"Universit|College|School|Institute of Technology", name)
        return "university" if university else "research"
    if category.startswith("Government"):
        agency = re.search(r"Ministry|Department|Government|Administration|Committee", name)
        return "government" if agency else "research"
    if category.startswith("Industry"):
        return "company"
    return "research"


def quote(value: str) -> str:
    """A YAML flow scalar: plain when that reads back as the same string, else JSON-quoted."""
    plain = re.fullmatch(r"[\w\u3400-\u9fff(][^,\[\]{}#&*!|>'\"%@`]*", value) and ": " not in value
    if plain and not value.endswith((" ", ":")):
        try:
            if yaml.safe_load(value) == value:
                return value
        except yaml.YAMLError:
            pass
    return json.dumps(value, ensure_ascii=False)


def render(entry: dict[str, Any]) -> str:
    parts = []
    for key, value in entry.items():
        if isinstance(value, list):
            parts.append(f"{key}: [{', '.join(quote(v) for v in value)}]")
        else:
            parts.append(f"{key}: {quote(str(value))}")
    return "  - {" + ", ".join(parts) + "}"


def load_text_registry(text: str) -> Registry:
    data = yaml.safe_load(text)
    return Registry(_to_org(OrgSpec.model_validate(o)) for o in data["organisations"])


def known_names(registry: Registry) -> dict[str, str]:
    names: dict[str, str] = {}
    for org in registry.orgs.values():
        for name in (org.name, *org.aliases):
            names.setdefault(name.casefold(), org.id)
    return names


class Seeder:
    def __init__(self, text: str, extra: dict[str, Any]) -> None:
        self.registry = load_text_registry(text)
        self.matcher = Matcher(self.registry)
        self.names = known_names(self.registry)
        self.families = families_of(self.registry)
        self.extra: dict[str, dict[str, Any]] = extra.get("orgs") or {}
        self.skip = set(extra.get("skip") or [])
        self.same: dict[str, str] = extra.get("same") or {}
        self.country_of = {o.id: o.country for o in self.registry.orgs.values()}
        self.ids = set(self.registry.orgs)
        self.claimed: set[str] = set(self.names)
        self.claimed |= {p.casefold() for o in self.registry.orgs.values() for p in o.products}

    def existing(self, org: EpochOrg) -> str | None:
        """The id of the registry entry for ``org``, if there is one."""
        if org.name in self.same:
            return self.same[org.name]
        bare = re.sub(r"\s*\([^)]*\)", "", org.name).strip()
        for name in (org.name, bare, *org.name.split(" / ")):
            if name.casefold() in self.names:
                return self.names[name.casefold()]
        return None

    def parent(self, org: EpochOrg) -> str | None:
        """ "Tencent AI Lab" belongs to Tencent: a known, non-weak name at its start."""
        for m in self.matcher.find(org.name):
            if m.start == 0 and m.role == "alias" and not self.registry.orgs[m.org_id].weak:
                return m.org_id
        return None

    def others_family(self, product: str, owner: str) -> bool:
        """True when ``product`` is named after another organisation's model family
        ("Llama2-Chinese", "GPT-J"): as a product it would make that family nobody's, and
        release keys ("llama-4", "gpt-5") would stop merging stories."""
        known = self.registry.orgs.get(owner)
        root = self.registry.root(known).id if known else owner
        for stem in Families([(root, [product], [])]).by_stem:
            held = self.families.by_stem.get(stem)
            if held is not None and held.org != root:
                return True
        return False

    def starts_sure(self, name: str) -> bool:
        """True when ``name`` starts with an organisation's name that needs no AI context."""
        return any(
            m.start == 0 and not m.ambiguous and not self.registry.orgs[m.org_id].weak
            for m in self.matcher.find(name)
        )

    def entry(self, org: EpochOrg) -> dict[str, Any] | None:
        extra = self.extra.get(org.name, {})
        country = extra.get("country", org.country)
        if not country:
            return None
        names: list[str] = []
        for name in [org.name.split(" / ")[0], *extra.get("aliases", [])]:
            bare = re.sub(r"\s*\(([^)]*)\)", "", name).strip()
            inner = re.findall(r"\(([A-Za-z][\w-]*)\)", name)
            for n in (bare, *(i for i in inner if i.isupper() and len(i) >= 3)):
                if n.casefold() not in self.claimed and n not in names:
                    names.append(n)
        if not names:
            return None
        base = extra.get("id") or slug(names[0])
        org_id = base if base not in self.ids else f"{base}-{country.lower()}"
        if org_id in self.ids:
            return None
        parent = extra.get("parent")  # given by hand: ownership, across borders (MSRA)
        if parent is None and self.country_of.get(self.parent(org) or "") == country:
            parent = self.parent(org)
        products: list[str] = []
        for product in [*map(product_name, org.models), *extra.get("products", [])]:
            fresh = product and product.casefold() not in self.claimed and product not in products
            if fresh and not self.others_family(product, parent or org_id):
                products.append(product)
        entry: dict[str, Any] = {
            "id": org_id,
            "name": extra.get("name", names[0]),
            "country": country,
            "type": extra.get("type") or org_type(org.category, org.name),
        }
        if parent:
            entry["parent"] = parent
        entry["aliases"] = names
        if products:
            entry["products"] = products
        # "Google Research" is as unambiguous as "Google": it must not shadow it in general text
        ambiguous = [n for n in (*names, *products) if not self.starts_sure(n)]
        if ambiguous:
            entry["ambiguous"] = ambiguous
        for key in ("hf", "modelscope", "github", "domains"):
            if extra.get(key):
                entry[key] = extra[key]
        self.ids.add(org_id)
        self.country_of[org_id] = country
        self.claimed |= {n.casefold() for n in (*names, *products)}
        return entry

    def seed(self, orgs: dict[str, EpochOrg]) -> list[str]:
        lines = []
        for org in orgs.values():
            if org.name in self.skip or anonymous(org.name) or self.existing(org):
                continue
            entry = self.entry(org)
            if entry is not None:
                lines.append(render(entry))
        return lines


def write_block(text: str, new_lines: list[str]) -> str:
    if BEGIN not in text:
        header = [BEGIN, f"  # Organisations from {CREDIT}; see scripts/seed_orgs.py", END]
        text = text.rstrip("\n") + "\n" + "\n".join(header) + "\n"
    head, rest = text.split(END, 1)
    return head + "".join(line + "\n" for line in new_lines) + END + rest


def coverage(
    registry: Registry, orgs: dict[str, EpochOrg], models: list[Any], skip: set[str]
) -> list[str]:
    """How much of Epoch's Chinese and US lists the registry attributes to the right country."""
    matcher = Matcher(registry)

    def country_of(text: str) -> set[str]:
        found = matcher.find(f"{text} AI model")  # as in text about AI
        return {registry.root(registry.orgs[m.org_id]).country for m in found}

    out = []
    for code in ("CN", "US"):
        mine = [o for o in orgs.values() if o.country == code and not anonymous(o.name)]
        mine = [o for o in mine if o.name not in skip]
        hits = sum(code in country_of(o.name) for o in mine)
        out.append(f"{code} organisations known: {hits}/{len(mine)} = {hits / len(mine):.0%}")
        recent = [
            m
            for m, first, year in models
            if year in ("2023", "2024") and first in orgs
            if orgs[first].country == code
        ]
        hits = sum(code in country_of(m) for m in recent)
        out.append(
            f"{code} 2023-2024 notable models: {hits}/{len(recent)} = {hits / len(recent):.0%}"
        )
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--epoch", type=Path, default=DEFAULT_EPOCH, help="folder of the CSVs")
    parser.add_argument("--orgs", type=Path, default=ORGS, help="the registry to extend")
    parser.add_argument("--write", action="store_true", help="write new entries (else: show)")
    parser.add_argument("--report", action="store_true", help="print coverage figures")
    args = parser.parse_args(argv)
    orgs, models = read_epoch(args.epoch)
    text = args.orgs.read_text(encoding="utf-8")
    extra = (yaml.safe_load(EXTRA.read_text(encoding="utf-8")) if EXTRA.exists() else {}) or {}
    lines = Seeder(text, extra).seed(orgs)
    if args.write:
        text = write_block(text, lines)
        args.orgs.write_text(text, encoding="utf-8")
        print(f"{len(lines)} new organisations written to {args.orgs}")
    elif not args.report:
        print("\n".join(lines))
        print(f"# {len(lines)} new organisations (use --write to add them)", file=sys.stderr)
    if args.report:
        print(
            "\n".join(
                coverage(load_text_registry(text), orgs, models, set(extra.get("skip") or []))
            )
        )
        kinds = Counter(o.country for o in orgs.values())
        print(f"Epoch organisations with a country: {len(orgs)} ({kinds.most_common(4)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
