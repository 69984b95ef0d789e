"""Turn pydantic validation errors into located, hinted problems a person can act on."""

from __future__ import annotations

import difflib
from typing import Any, TypeVar, get_args, get_origin

from pydantic import BaseModel, ValidationError

from bot.errors import Problem
from bot.located_yaml.unions import DISCRIMINATOR_ERROR
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


def _model_at(model: type[BaseModel], loc: Loc) -> type[BaseModel] | None:
    """The model holding the field at ``loc`` (a location as pydantic gives it, with the
    tags of union members), best effort, for "did you mean" and a missing field's hint."""
    annotation: Any = model
    for part in loc[:-1]:
        if isinstance(part, int):
            continue
        models = _models_in(annotation)
        member = next((m for m in models if m.__name__ == part), None)
        if member is not None:  # a union member's tag
            annotation = member
        elif get_origin(annotation) is dict:  # a name the user chose (a destination's)
            annotation = get_args(annotation)[1]
        else:
            field = next((m.model_fields[part] for m in models if part in m.model_fields), None)
            if field is None:
                return None
            annotation = field.annotation
    models = _models_in(annotation)
    return models[0] if len(models) == 1 else None


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    if get_origin(annotation) is dict:
        return []
    return [m for arg in get_args(annotation) for m in _models_in(arg)]


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
        holder = _model_at(model, err["loc"])
        if err["type"] == "extra_forbidden":
            key = str(loc[-1])
            known = list(holder.model_fields) if holder else []
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
            field = holder.model_fields.get(str(loc[-1])) if holder and loc else None
            # a field's description says what it wants better than a pattern does
            hint = hint or (field.description if field else None) or _HINTS.get(err["type"], "")
            if err["type"] == "missing":
                message = f"'{loc[-1]}' is required" if loc else "a value is required"
                loc = loc[:-1] if loc else loc
            elif err["type"] == DISCRIMINATOR_ERROR:  # at the field that chose the member
                loc = (*loc, str((err.get("ctx") or {}).get("field", "type")))
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
