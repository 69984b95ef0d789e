"""The rule language as data: conditions nested with all / any / not, and what to do on a match."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from bot.attribution.vocab import DERIVATIVES, KINDS, MODALITIES, OPEN_WEIGHTS
from bot.rules import values as known_values
from bot.rules.regexes import check_pattern
from bot.rules.timing import parse_quiet_hours, zone
from bot.units import Duration


def _as_list(value: Any) -> Any:
    if value is None:
        return None
    return value if isinstance(value, list) else [value]


StrList = Annotated[list[str], BeforeValidator(_as_list)]


DERIVATIVE_VALUES = ("yes", "no", *DERIVATIVES)


def _check_vocab(
    values: list[str] | None, allowed: dict[str, str] | tuple[str, ...], what: str
) -> list[str] | None:
    if values is None:
        return None
    out = []
    for value in values:
        norm = str(value).strip().lower().replace(" ", "_").replace("-", "_")
        if norm not in allowed:
            near = known_values.closest(norm, allowed, 1)
            hint = f"did you mean {near[0]}? " if near else ""
            raise ValueError(
                f"unknown {what} '{value}'{known_values.HINT}{hint}use one of: {', '.join(allowed)}"
            )
        out.append(norm)
    return out


class Condition(BaseModel):
    """Every field set in one mapping must hold (they are ANDed); lists inside a field are ORed."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    country: StrList | None = None
    countries_involved: StrList | None = None
    org: StrList | None = None
    kind: StrList | None = None
    modality: StrList | None = None
    open_weights: Literal["yes", "no", "unknown"] | None = None
    licence: StrList | None = None
    source: StrList | None = None
    language: StrList | None = None
    params_min: float | None = Field(default=None, ge=0)
    params_max: float | None = Field(default=None, ge=0)
    downloads_min: int | None = Field(default=None, ge=0)
    likes_min: int | None = Field(default=None, ge=0)
    derivative: StrList | None = None
    keywords_any: StrList | None = None
    keywords_all: StrList | None = None
    keywords_none: StrList | None = None
    phrase: StrList | None = None
    regex: str | None = None
    in_: Literal["title", "summary", "both"] = Field(default="both", alias="in")
    all: list[Condition] | None = None
    any: list[Condition] | None = None
    not_: Condition | None = Field(default=None, alias="not")

    @field_validator("country", "countries_involved")
    @classmethod
    def _countries(cls, v: list[str] | None) -> list[str] | None:
        if v is None:
            return None
        return [known_values.country_code(c) for c in v]

    @field_validator("language")
    @classmethod
    def _languages(cls, v: list[str] | None) -> list[str] | None:
        return None if v is None else [known_values.language_code(c) for c in v]

    @field_validator("licence")
    @classmethod
    def _licences(cls, v: list[str] | None) -> list[str] | None:
        return None if v is None else [known_values.licence(c) for c in v]

    @field_validator("kind")
    @classmethod
    def _kinds(cls, v: list[str] | None) -> list[str] | None:
        return _check_vocab(v, KINDS, "kind")

    @field_validator("modality")
    @classmethod
    def _modalities(cls, v: list[str] | None) -> list[str] | None:
        return _check_vocab(v, MODALITIES, "modality")

    @field_validator("open_weights", mode="before")
    @classmethod
    def _yes_no(cls, v: Any) -> Any:
        if isinstance(v, bool):  # YAML reads a bare yes/no as a boolean
            return "yes" if v else "no"
        if v is not None and str(v).lower() not in OPEN_WEIGHTS:
            raise ValueError("open_weights must be yes, no or unknown")
        return str(v).lower() if v is not None else None

    @field_validator("derivative", mode="before")
    @classmethod
    def _derivative(cls, v: Any) -> Any:
        if isinstance(v, bool):  # YAML reads a bare yes/no as a boolean
            return ["yes" if v else "no"]
        values = _as_list(v)
        for value in values or []:
            if str(value).lower() not in DERIVATIVE_VALUES:
                raise ValueError(
                    f"unknown derivative '{value}'; use yes, no or one of: "
                    + ", ".join(DERIVATIVES)
                )
        return [str(value).lower() for value in values] if values is not None else None

    @property
    def watches_derivatives(self) -> bool:
        """Whether this condition, or any nested in it, says what to do with derivatives."""
        nested = [*(self.all or ()), *(self.any or ()), *([self.not_] if self.not_ else [])]
        return self.derivative is not None or any(c.watches_derivatives for c in nested)

    @field_validator("regex")
    @classmethod
    def _compiles(cls, v: str | None) -> str | None:
        if v is not None:
            check_pattern(v)
        return v

    @model_validator(mode="after")
    def _not_empty(self) -> Condition:
        if not (self.model_fields_set - {"in_"}):
            raise ValueError("a condition needs at least one field, such as country: CN")
        return self


class Rule(BaseModel):
    """A named watch: when its condition holds, the story goes to its destinations."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1, max_length=80)
    when: Condition | None = None
    notify: StrList = Field(default_factory=list)
    mention: StrList = Field(default_factory=list)
    max_age: Duration | None = None
    priority: Literal["low", "normal", "high"] = "normal"
    enabled: bool = True
    mode: Literal["immediate", "digest"] = "immediate"
    timezone: str = "UTC"
    digest: str | None = None  # cron, in ``timezone``: "0 9 * * 1-5"
    quiet_hours: str | None = None  # "22:00-07:00", in ``timezone``; high priority ignores it
    cap_per_hour: int | None = Field(default=None, ge=1)
    cap_per_day: int | None = Field(default=None, ge=1)

    @field_validator("timezone")
    @classmethod
    def _zone(cls, v: str) -> str:
        zone(v)
        return v

    @field_validator("digest")
    @classmethod
    def _cron(cls, v: str | None, info: ValidationInfo) -> str | None:
        from bot.rules.timing import check_cron

        if v is not None:
            check_cron(v, info.data.get("timezone") or "UTC")
        return v

    @field_validator("quiet_hours")
    @classmethod
    def _quiet(cls, v: str | None) -> str | None:
        if v is not None:
            parse_quiet_hours(v)
        return v

    @model_validator(mode="after")
    def _digest_needs_schedule(self) -> Rule:
        if self.mode == "digest" and not self.digest:
            raise ValueError("a digest rule needs 'digest', a cron schedule such as '0 9 * * *'")
        return self

    @property
    def priority_rank(self) -> int:
        return {"low": 2, "normal": 1, "high": 0}[self.priority]


class Mute(BaseModel):
    """Items matching a mute never alert, whatever the other rules say."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1, max_length=80)
    when: Condition
