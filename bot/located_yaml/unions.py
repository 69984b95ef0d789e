"""Discriminated unions whose errors read well once located.

Each member is tagged with its class name, which :func:`bot.located_yaml.validate` drops
from error locations (``sources[2].url``, never ``sources[2].FeedSource.url``), and which
tells it the member's fields for "did you mean" and the hints of missing fields.
"""

from __future__ import annotations

from typing import Annotated, Any, Union

from pydantic import BaseModel, Discriminator, Tag

DISCRIMINATOR_ERROR = "unknown_type"


def tagged_union(members: tuple[type[BaseModel], ...], default: str, field: str = "type") -> Any:
    """``Annotated[A | B | ..., Discriminator]`` choosing the member by its ``field`` (a
    ``Literal`` with one value each); a mapping without ``field`` is ``default``'s member.
    An unknown value is one error at ``field`` naming the values allowed."""
    by_value = {_value(m, field): m.__name__ for m in members}
    allowed = list(by_value)
    shown = ", ".join(f"'{v}'" for v in allowed[:-1]) + f" or '{allowed[-1]}'"

    def pick(value: Any) -> str | None:
        if isinstance(value, BaseModel):
            return type(value).__name__ if type(value) in members else None
        if not isinstance(value, dict):
            return by_value[default]  # the member then says "write a mapping"
        chosen = value.get(field, default)
        return by_value.get(chosen) if isinstance(chosen, str) else None

    tagged = tuple(Annotated[m, Tag(m.__name__)] for m in members)
    return Annotated[
        Union[tagged],  # noqa: UP007 (a tuple of members, known at run time)
        Discriminator(
            pick,
            custom_error_type=DISCRIMINATOR_ERROR,
            custom_error_message=f"Input should be {shown}",
            custom_error_context={"field": field},
        ),
    ]


def _value(model: type[BaseModel], field: str) -> str:
    value = model.model_fields[field].default
    if not isinstance(value, str):
        raise TypeError(f"{model.__name__}.{field} needs a default, its one allowed value")
    return value
