"""Turn pydantic validation errors into located, hinted problems a person can act on."""

from __future__ import annotations

import difflib
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from bot.errors import Problem
from bot.located_yaml.yamlsrc import Loc, SourceText

M = TypeVar("M", bound=BaseModel)


_HINTS = {
    "list_type": "write a list, one entry per line starting with '- '",
    "dict_type": "write a mapping of 'key: value' lines",
    "model_type": "write a mapping of 'key: value' lines",
    "bool_type": "use true or false",
    "int_parsing": "use a whole number",
    "float_parsing": "use a number",
}


def _where(loc: Loc) -> str:
    parts: list[str] = []
    for part in loc:
        if isinstance(part, int):
            parts.append(f"[{part}]")
        else:
            parts.append(("." if parts else "") + part)
    return "".join(parts) or "top level"


def _named(loc: Loc, data: Any) -> str:
    """``rule 'cn-models' when.contry`` rather than ``rules[3].when.contry``."""
    if len(loc) >= 2 and loc[0] in ("rules", "mute", "sources") and isinstance(loc[1], int):
        try:
            name = data[loc[0]][loc[1]].get("name")
        except (KeyError, IndexError, TypeError, AttributeError):
            name = None
        if isinstance(name, str) and name:
            noun = {"rules": "rule", "mute": "mute", "sources": "source"}[str(loc[0])]
            rest = _where(loc[2:])
            return f"{noun} '{name}'" + (f" {rest}" if loc[2:] else "")
    return _where(loc)


def _known_fields(model: type[BaseModel], loc: Loc) -> list[str]:
    """Field names allowed at ``loc`` (best effort, for 'did you mean' hints)."""
    current: Any = model
    for part in loc[:-1]:
        if isinstance(part, int) or current is None:
            continue
        field = getattr(current, "model_fields", {}).get(part)
        if field is None:
            return []
        current = _model_in(field.annotation)
    return list(getattr(current, "model_fields", {}).keys()) if current else []


def _model_in(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()) or ():
        found = _model_in(arg)
        if found is not None:
            return found
    return None


def _strip_loc(loc: tuple[Any, ...]) -> Loc:
    # pydantic inserts the names of union members and function validators into locations;
    # they mean nothing to a person editing YAML.
    return tuple(
        p
        for p in loc
        if isinstance(p, int) or not (p[:1].isupper() or "[" in p or p.startswith("function-"))
    )


def problems_from(
    exc: ValidationError, src: SourceText, model: type[BaseModel], prefix: Loc = ()
) -> list[Problem]:
    """One :class:`Problem` per pydantic error, with the YAML line and a hint."""
    problems: list[Problem] = []
    for err in exc.errors():
        loc = (*prefix, *_strip_loc(err["loc"]))
        hint = ""
        if err["type"] == "extra_forbidden":
            key = str(loc[-1])
            known = _known_fields(model, _strip_loc(err["loc"]))
            close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
            message = f"unknown field '{key}'"
            hint = (
                f"did you mean '{close[0]}'?"
                if close
                else (f"allowed here: {', '.join(sorted(known))}" if known else "remove it")
            )
        else:
            message = err["msg"].removeprefix("Value error, ").removeprefix("Assertion failed, ")
            message, _, hint = message.partition("; hint: ")
            hint = hint or _HINTS.get(err["type"], "")
            if err["type"] == "missing":
                message = f"'{loc[-1]}' is required" if loc else "a value is required"
                loc = loc[:-1] if loc else loc
        problems.append(Problem(src.file, src.line_of(loc), _named(loc, src.data), message, hint))
    return sorted(problems, key=lambda p: p.line or 0)


def validate(
    model: type[M], src: SourceText, data: Any, prefix: Loc = ()
) -> tuple[M | None, list[Problem]]:
    """Validate ``data`` (found at ``prefix`` inside ``src``) as ``model``."""
    try:
        return model.model_validate(data), []
    except ValidationError as exc:
        return None, problems_from(exc, src, model, prefix)
