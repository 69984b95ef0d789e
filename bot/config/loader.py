"""Build the effective configuration: shipped defaults < config file < RACEWATCH_* environment.

Every problem is collected and reported together, each with its file and line.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import platformdirs
from pydantic import BaseModel
from pydantic_settings import BaseSettings, EnvSettingsSource, SettingsError

from bot.attribution.registry import Registry, load_registry
from bot.config.settings import Settings, SourceSpec
from bot.errors import ConfigError, Problem
from bot.located_yaml.validate import validate
from bot.located_yaml.yamlsrc import SourceText, read_yaml
from bot.rules.known import Known, unknown_values
from bot.rules.model import Mute, Rule
from bot.shipped import shipped_file

ENV_PREFIX = "RACEWATCH_"
# Variables that are secrets or process plumbing, never settings.
_NOT_SETTINGS = {"RACEWATCH_CONFIG", "RACEWATCH_TEST_POSTGRES"}
_SECRET_WORDS = ("token", "secret", "password", "webhook_url", "api_key")


@dataclass(frozen=True)
class Config:
    """The effective configuration and where each part came from."""

    settings: Settings
    sources: list[SourceSpec]
    rules: list[Rule]
    mutes: list[Mute]
    config_file: Path | None
    data_dir: Path
    database_url: str
    notes: list[str] = field(default_factory=list)


def default_config_path() -> Path:
    return Path(platformdirs.user_config_dir("racewatch")) / "racewatch.yaml"


def find_config_file(explicit: Path | None, env: Mapping[str, str]) -> Path | None:
    if explicit is not None:
        return explicit
    if env.get("RACEWATCH_CONFIG"):
        return Path(env["RACEWATCH_CONFIG"])
    default = default_config_path()
    return default if default.is_file() else None


class _Environment(EnvSettingsSource):
    """pydantic-settings' reading of ``RACEWATCH_*`` variables (``__`` nests, JSON for lists
    and mappings) from a given mapping rather than the process's environment."""

    def __init__(self, env: Mapping[str, str]) -> None:
        self._given = env
        super().__init__(
            # it reads only the fields and their types: Settings need not be BaseSettings
            cast("type[BaseSettings]", Settings),
            case_sensitive=False,
            env_prefix=ENV_PREFIX,
            env_nested_delimiter="__",
        )

    def _load_env_vars(self) -> dict[str, str | None]:
        return {name.lower(): value for name, value in self._given.items()}


def _env_overrides(env: Mapping[str, str], problems: list[Problem]) -> dict[str, Any]:
    """``RACEWATCH_POLL__MAX_BODY=5MiB`` becomes ``{"poll": {"max_body": "5MiB"}}``."""
    out: dict[str, Any] = {}
    for name, value in sorted(env.items()):
        if not name.startswith(ENV_PREFIX) or name in _NOT_SETTINGS:
            continue
        path = [p.lower() for p in name[len(ENV_PREFIX) :].split("__") if p]
        if not path or path[0] not in Settings.model_fields:
            problems.append(
                Problem(
                    "environment",
                    None,
                    name,
                    "not a racewatch setting",
                    "unset it, or see the configuration reference in the README",
                )
            )
            continue
        try:  # one variable at a time, so a problem names its variable
            out = _merge(out, _Environment({name: value})())
        except SettingsError:
            problems.append(
                Problem(
                    "environment",
                    None,
                    name,
                    f"'{value[:40]}' is not JSON",
                    'a list or mapping is written as JSON, such as [10, 25] or {"jitter": 0.2}',
                )
            )
    if env.get("DATABASE_URL") and "database_url" not in out:
        out["database_url"] = env["DATABASE_URL"]
    return out


def _merge(base: dict[str, Any], top: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in top.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _secret_hints(problems: list[Problem]) -> list[Problem]:
    out = []
    for p in problems:
        if p.message.startswith("unknown field") and any(
            w in p.message.lower() for w in _SECRET_WORDS
        ):
            p = Problem(
                p.file,
                p.line,
                p.where,
                p.message,
                "secrets never go in config files: set them in the environment or in a "
                "git-ignored .env file (see the README)",
            )
        out.append(p)
    return out


class _RuleFile(BaseModel):
    model_config = {"extra": "forbid"}
    rules: list[Rule] = []
    mute: list[Mute] = []


Placed = tuple[Rule | Mute, SourceText | None, tuple[str | int, ...]]


def _placed(src: SourceText | None, rules: list[Rule], mutes: list[Mute]) -> list[Placed]:
    return [(r, src, ("rules", i)) for i, r in enumerate(rules)] + [
        (m, src, ("mute", i)) for i, m in enumerate(mutes)
    ]


def load_rule_file(
    path: Path, problems: list[Problem], placed: list[Placed] | None = None
) -> tuple[list[Rule], list[Mute]]:
    """Rules and mutes from a YAML file with top-level ``rules:`` and ``mute:`` lists
    (and, into ``placed``, where each one is, for the checks made after loading)."""
    try:
        src = read_yaml(path)
    except ConfigError as exc:
        problems.extend(exc.problems)
        return [], []
    model, found = validate(_RuleFile, src, src.data if src.data is not None else {})
    problems.extend(found)
    rules, mutes = (list(model.rules), list(model.mute)) if model else ([], [])
    if placed is not None:
        placed += _placed(src, rules, mutes)
    return rules, mutes


def known_values(registry: Registry, sources: list[SourceSpec]) -> Known:
    """What rules may name: every organisation by id, name or alias, every source."""
    return Known.of(
        ((o.id, o.name, o.aliases) for o in registry.orgs.values()), (s.name for s in sources)
    )


def check_rule_values(placed: list[Placed], known: Known, problems: list[Problem]) -> None:
    """An organisation or source a rule names and racewatch does not know is an error,
    with the file, the line and a "did you mean"."""
    for rule, src, prefix in placed:
        for bad in unknown_values(rule, known):
            where = (*prefix, *bad.where)
            problems.append(
                Problem(
                    src.file if src else "rules",
                    src.line_of(where) if src else None,
                    f"{'rule' if isinstance(rule, Rule) else 'mute'} '{rule.name}' "
                    + ".".join(str(p) for p in bad.where if isinstance(p, str)),
                    bad.message,
                    bad.hint,
                )
            )


def _load_sources(settings: Settings, problems: list[Problem]) -> list[SourceSpec]:
    specs: dict[str, SourceSpec] = {}
    if settings.default_sources:
        path = shipped_file("sources.yaml")
        src = read_yaml(path)

        class _Catalogue(BaseModel):
            model_config = {"extra": "forbid"}
            sources: list[SourceSpec]

        model, found = validate(_Catalogue, src, src.data)
        problems.extend(found)
        for spec in model.sources if model else []:
            specs[spec.name] = spec
    for spec in settings.sources:
        specs[spec.name] = spec  # the user's entry replaces a shipped one of the same name
    return list(specs.values())


def _cross_check(
    settings: Settings,
    rules: list[Rule],
    mutes: list[Mute],
    file: str,
    src: SourceText | None,
    problems: list[Problem],
) -> None:
    def line(*loc: str | int) -> int | None:
        return src.line_of(loc) if src else None

    names = set(settings.destinations)
    seen: set[str] = set()
    for i, rule in enumerate(rules):
        if rule.name in seen:
            problems.append(
                Problem(
                    file,
                    line("rules", i),
                    f"rule '{rule.name}'",
                    "two rules have this name",
                    "rule names must be unique",
                )
            )
        seen.add(rule.name)
        for dest in rule.notify:
            if dest not in names:
                problems.append(
                    Problem(
                        file,
                        line("rules", i, "notify"),
                        f"rule '{rule.name}'",
                        f"unknown destination '{dest}'",
                        f"configured destinations: {', '.join(sorted(names)) or 'none'}",
                    )
                )
    if settings.admin_destination and settings.admin_destination not in names:
        problems.append(
            Problem(
                file,
                line("admin_destination"),
                "admin_destination",
                f"unknown destination '{settings.admin_destination}'",
            )
        )
    seen_sources: set[str] = set()
    for i, spec in enumerate(settings.sources):
        if spec.name in seen_sources:
            problems.append(
                Problem(
                    file,
                    line("sources", i),
                    f"source '{spec.name}'",
                    "two sources have this name",
                    "source names must be unique",
                )
            )
        seen_sources.add(spec.name)


def load_config(path: Path | None = None, env: Mapping[str, str] | None = None) -> Config:
    """Load, layer and validate everything; raise :class:`ConfigError` listing every problem."""
    env = os.environ if env is None else env
    problems: list[Problem] = []
    file = find_config_file(path, env)
    src: SourceText | None = None
    data: dict[str, Any] = {}
    if file is not None:
        src = read_yaml(file)
        if src.data is None:
            data = {}
        elif not isinstance(src.data, dict):
            raise ConfigError(
                [
                    Problem(
                        str(file),
                        1,
                        "",
                        "the settings file must be a mapping of keys",
                        "see config/racewatch.example.yaml",
                    )
                ]
            )
        else:
            data = src.data
    overrides = _env_overrides(env, problems)
    file_name = str(file) if file else "defaults"
    settings, found = validate(Settings, src or SourceText(file_name, data), data)
    problems.extend(_secret_hints(found))
    if settings is not None and overrides:
        merged, env_found = validate(
            Settings,
            SourceText("environment", None),
            _merge(settings.model_dump(by_alias=True, exclude_unset=True), overrides),
        )
        for p in env_found:
            var = ENV_PREFIX + p.where.replace(".", "__").upper()
            problems.append(Problem("environment", None, var, p.message, p.hint))
        settings = merged if merged is not None else settings
    if settings is None:
        raise ConfigError(problems)

    rules, mutes = list(settings.rules), list(settings.mute)
    placed = _placed(src, rules, mutes)
    base_dir = file.parent if file else Path.cwd()
    for name in settings.rules_files:
        more_rules, more_mutes = load_rule_file(base_dir / name, problems, placed)
        rules += more_rules
        mutes += more_mutes
    notes = []
    if not rules and settings.default_rules:
        placed = []
        rules, mutes = load_rule_file(shipped_file("rules.example.yaml"), problems, placed)
        notes.append("no rules configured: using the shipped example rules")
    _cross_check(settings, rules, mutes, file_name, src, problems)
    sources = _load_sources(settings, problems)
    try:
        registry = load_registry([base_dir / f for f in settings.organisations_files])
    except ConfigError as exc:
        problems.extend(exc.problems)
    else:
        check_rule_values(placed, known_values(registry, sources), problems)
    if problems:
        raise ConfigError(problems)

    data_dir = (
        Path(settings.data_dir).expanduser()
        if settings.data_dir
        else Path(platformdirs.user_data_dir("racewatch"))
    )
    database_url = settings.database_url or f"sqlite:///{data_dir / 'racewatch.sqlite3'}"
    return Config(settings, sources, rules, mutes, file, data_dir, database_url, notes)
