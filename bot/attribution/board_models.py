"""Which organisation, and so which country, each leaderboard model belongs to.

In order: the per-model override files (for names the registry cannot resolve), the board's
own organisation column, then the model name itself ("qwen3-max", "deepseek-v3.1").
The override file is YAML::

    models:
      - {match: "hunyuan-*", org: tencent}      # glob, case-insensitive, on the model name
      - {match: "step-*", org: stepfun}
      - {match: "some-model", country: CN}      # a country alone, when no org fits
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from bot.attribution.matcher import Matcher
from bot.attribution.registry import Registry
from bot.boards import BoardRow
from bot.errors import ConfigError, Problem


class _Override(BaseModel):
    model_config = ConfigDict(extra="forbid")
    match: str = Field(min_length=1, max_length=200)
    org: str | None = None
    country: str | None = Field(default=None, pattern=r"^[A-Z]{2}$")


class _OverrideFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    models: list[_Override] = Field(default_factory=list)


@dataclass(frozen=True)
class Resolved:
    org_id: str | None
    country: str | None


@dataclass(frozen=True)
class _Rule:
    pattern: re.Pattern[str]
    org_id: str | None
    country: str | None


def load_overrides(paths: Iterable[Path], registry: Registry) -> list[_Rule]:
    """Read override files; every problem is reported with its file, never half-loaded."""
    rules: list[_Rule] = []
    problems: list[Problem] = []
    for path in paths:
        try:
            doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
            parsed = _OverrideFile.model_validate(doc)
        except (OSError, yaml.YAMLError, ValidationError) as exc:
            problems.append(Problem(str(path), None, "models", str(exc).splitlines()[0]))
            continue
        for number, entry in enumerate(parsed.models, 1):
            if entry.org is None and entry.country is None:
                problems.append(Problem(str(path), None, f"entry {number}", "give org or country"))
                continue
            org = registry.get(entry.org) if entry.org else None
            if entry.org and org is None:
                problems.append(
                    Problem(
                        str(path),
                        None,
                        f"entry {number}",
                        f"unknown organisation '{entry.org}'",
                        "racewatch orgs QUERY finds an organisation's id",
                    )
                )
                continue
            country = entry.country or (registry.root(org).country if org else None)
            regex = re.compile(fnmatch.translate(entry.match.lower()))
            rules.append(_Rule(regex, org.id if org else None, country))
    if problems:
        raise ConfigError(problems)
    return rules


class BoardResolver:
    """Resolves board rows; pure once built."""

    def __init__(self, registry: Registry, matcher: Matcher, overrides: list[_Rule]) -> None:
        self.registry, self.matcher, self.overrides = registry, matcher, overrides

    def _from_text(self, text: str | None) -> Resolved | None:
        if not text:
            return None
        for mention in self.matcher.find(text):
            org = self.registry.get(mention.org_id)
            if org is not None and not org.weak:
                return Resolved(org.id, self.registry.root(org).country)
        return None

    def resolve(self, row: BoardRow) -> Resolved:
        name = row.model.lower()
        for rule in self.overrides:
            if rule.pattern.match(name):
                return Resolved(rule.org_id, rule.country)
        # model ids are written with hyphens and dots ("qwen3-235b-a22b"): the matcher's
        # whole-word rules need them as spaces to see the family name
        spaced = re.sub(r"[-_/]+", " ", row.model)
        return (
            self._from_text(row.organization)
            or self._from_text(row.model)
            or self._from_text(spaced)
            or Resolved(None, None)
        )
