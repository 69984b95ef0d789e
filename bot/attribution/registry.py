"""The organisation registry: who is who, in which country, under which names and namespaces."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, field_validator

from bot.errors import ConfigError, Problem
from bot.located_yaml.validate import validate
from bot.located_yaml.yamlsrc import read_yaml
from bot.shipped import shipped_file

ORG_TYPES = (
    "lab",
    "bigtech",
    "startup",
    "company",
    "chips",
    "research",
    "university",
    "government",
    "platform",
    "origin",  # "a Hangzhou-based start-up": an unnamed organisation's country
    "people",  # founders and chief executives, weak names of their organisation
)


class OrgSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$", max_length=60)
    name: str
    country: str = Field(pattern=r"^[A-Z]{2}$")
    type: str = "lab"
    parent: str | None = None
    aliases: list[str] = Field(default_factory=list)
    products: list[str] = Field(default_factory=list)
    ambiguous: list[str] = Field(default_factory=list)
    hf: list[str] = Field(default_factory=list)
    modelscope: list[str] = Field(default_factory=list)
    github: list[str] = Field(default_factory=list)
    domains: list[str] = Field(default_factory=list)
    weak: bool = False
    note: str = ""

    @field_validator("type")
    @classmethod
    def _type(cls, v: str) -> str:
        if v not in ORG_TYPES:
            raise ValueError(f"type must be one of {', '.join(ORG_TYPES)}")
        return v


class _OrgFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    organisations: list[OrgSpec]


@dataclass(frozen=True)
class Org:
    id: str
    name: str
    country: str
    type: str
    parent: str | None
    aliases: tuple[str, ...]
    products: tuple[str, ...]
    ambiguous: frozenset[str]
    hf: tuple[str, ...]
    modelscope: tuple[str, ...]
    github: tuple[str, ...]
    domains: tuple[str, ...]
    note: str = ""
    weak: bool = False


class Registry:
    """Lookups by id, hub namespace and web domain; the matcher builds on ``orgs``."""

    def __init__(self, orgs: Iterable[Org]) -> None:
        self.orgs: dict[str, Org] = {o.id: o for o in orgs}
        self._hf = {ns.lower(): o for o in self.orgs.values() for ns in (*o.hf, *o.modelscope)}
        self._gh = {ns.lower(): o for o in self.orgs.values() for ns in o.github}
        self._domains = {d.lower(): o for o in self.orgs.values() for d in o.domains}
        self._roots = {o.id: self._find_root(o) for o in self.orgs.values()}
        # what a rule may name an organisation by: its id, name or aliases, and its parent's
        self.rule_keys = {
            o.id: frozenset(
                k.lower() for x in (o, self._roots[o.id]) for k in (x.id, x.name, *x.aliases)
            )
            for o in self.orgs.values()
        }

    def __len__(self) -> int:
        return len(self.orgs)

    def get(self, org_id: str | None) -> Org | None:
        return self.orgs.get(org_id) if org_id else None

    def by_namespace(self, namespace: str) -> Org | None:
        return self._hf.get(namespace.lower())

    def by_github(self, owner: str) -> Org | None:
        return self._gh.get(owner.lower())

    def by_domain(self, host: str) -> Org | None:
        """The org owning ``host`` or its closest registered parent domain."""
        host = host.lower().rstrip(".")
        if host.startswith("www."):
            host = host[4:]
        while host:
            hit = self._domains.get(host)
            if hit:
                return hit
            if "." not in host:
                return None
            host = host.split(".", 1)[1]
        return None

    def root(self, org: Org) -> Org:
        """The top of ``org``'s parent chain (Qwen -> Alibaba)."""
        return self._roots.get(org.id) or self._find_root(org)

    def _find_root(self, org: Org) -> Org:
        seen = {org.id}
        while org.parent and org.parent in self.orgs and org.parent not in seen:
            org = self.orgs[org.parent]
            seen.add(org.id)
        return org

    def search(self, query: str) -> list[Org]:
        q = query.lower().strip()
        if not q:
            return sorted(self.orgs.values(), key=lambda o: (o.country, o.name.lower()))
        hits = []
        for org in self.orgs.values():
            if org.type in ("people", "origin") and q != org.id:
                continue  # a founder's or a city's names, found by the organisation's query
            names = [
                org.id,
                org.name,
                *org.aliases,
                *org.products,
                *org.hf,
                *org.github,
                org.country,
            ]
            if any(q in n.lower() for n in names):
                hits.append(org)
        return sorted(hits, key=lambda o: (o.name.lower() != q, o.country, o.name.lower()))


def _to_org(spec: OrgSpec) -> Org:
    return Org(
        spec.id,
        spec.name,
        spec.country,
        spec.type,
        spec.parent,
        tuple(spec.aliases),
        tuple(spec.products),
        frozenset(spec.ambiguous),
        tuple(spec.hf),
        tuple(spec.modelscope),
        tuple(spec.github),
        tuple(d.lower() for d in spec.domains),
        spec.note,
        spec.weak,
    )


def load_registry(extra_files: Iterable[Path] = ()) -> Registry:
    """The shipped registry, extended (or overridden by id) by the user's files; read
    from the parsed-registry cache when none of its inputs changed."""
    from bot.attribution import registry_cache

    files = [shipped_file("orgs.yaml"), *extra_files]
    key = registry_cache.cache_key(files)
    kept = registry_cache.read(key) if key else None
    if kept is not None:
        return Registry(kept)
    registry = _read_registry(files)
    if key:
        registry_cache.write(key, list(registry.orgs.values()))
    return registry


def _read_registry(files: list[Path]) -> Registry:
    problems: list[Problem] = []
    orgs: dict[str, Org] = {}
    for n, path in enumerate(files):
        try:
            src = read_yaml(path)
        except ConfigError as exc:
            problems += exc.problems
            continue
        model, found = validate(_OrgFile, src, src.data or {})
        problems += found
        for spec in model.organisations if model else []:
            orgs[spec.id] = _to_org(spec)
        if n == 0:  # countries, origins and people, before the user's files may override them
            from bot.attribution.places import place_orgs

            orgs.update((o.id, o) for o in place_orgs(orgs))
    for org in orgs.values():
        if org.parent and org.parent not in orgs:
            problems.append(
                Problem("organisations", None, org.id, f"unknown parent '{org.parent}'")
            )
    if problems:
        raise ConfigError(problems)
    return Registry(orgs.values())
