"""The JSON the model hubs send, as pydantic models: Hugging Face's ``/api/models`` entries
and webhook payloads, and ModelScope's model list.

Hubs change their answers without notice and some fields are written by users (a model
card's ``license`` can be a list, ``downloads`` a string), so every optional field is
*lenient*: a value of the wrong type reads as missing instead of rejecting the whole entry.
Only what makes an entry an entry (its repo id) is required.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import (
    AliasChoices,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictFloat,
    StrictInt,
    StrictStr,
    ValidationError,
    ValidatorFunctionWrapHandler,
    WrapValidator,
    field_validator,
)

MAX_REPO_ID = 200


def _or_none(value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
    try:
        return handler(value)
    except ValidationError:
        return None


def _strings(value: Any) -> list[str]:
    """A list of strings from whatever came: non-strings dropped, a lone string listed."""
    if isinstance(value, str):
        return [value]
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


Str = Annotated[StrictStr | None, WrapValidator(_or_none)]
Int = Annotated[StrictInt | None, WrapValidator(_or_none)]
Number = Annotated[StrictInt | StrictFloat | None, WrapValidator(_or_none)]
Strings = Annotated[list[str], BeforeValidator(_strings)]


class _Hub(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class HfCard(_Hub):
    """The parts of a model card's metadata racewatch reads."""

    license: Str = None
    base_model: Strings = []


class HfRef(_Hub):
    id: Str = None


def _objects(value: Any) -> list[Any]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


class HfBaseModels(_Hub):
    """``expand[]=baseModels``: what the repo derives from, and how."""

    relation: Str = None
    models: Annotated[list[HfRef], BeforeValidator(_objects)] = []


class HfSafetensors(_Hub):
    total: Number = None


# an object of the wrong shape reads as missing
Card = Annotated[HfCard | None, WrapValidator(_or_none)]
BaseModels = Annotated[HfBaseModels | None, WrapValidator(_or_none)]
Safetensors = Annotated[HfSafetensors | None, WrapValidator(_or_none)]


class HfModel(_Hub):
    """One entry of ``GET /api/models`` (with the ``expand[]`` fields racewatch asks for)."""

    id: str = Field(validation_alias=AliasChoices("id", "modelId"), max_length=MAX_REPO_ID)
    tags: Strings = []
    card: Card = Field(None, validation_alias="cardData")
    base_models: BaseModels = Field(None, validation_alias="baseModels")
    safetensors: Safetensors = None
    pipeline_tag: Str = None
    library_name: Str = None
    gated: Annotated[bool | StrictStr | None, WrapValidator(_or_none)] = None
    downloads: Int = None
    likes: Int = None
    created_at: Str = Field(None, validation_alias="createdAt")
    last_modified: Str = Field(None, validation_alias="lastModified")

    @field_validator("id")
    @classmethod
    def _owner_and_name(cls, value: str) -> str:
        if value.count("/") != 1 or not all(value.split("/")):
            raise ValueError("a repo id is owner/name")
        return value


class HfWebhookEvent(_Hub):
    action: Str = None
    scope: Str = None


class HfWebhookRepo(_Hub):
    type: Str = None
    name: Str = None
    tags: Strings = []


class HfWebhook(_Hub):
    """A Hub webhook payload (``event`` and ``repo``; the rest is not read)."""

    event: Annotated[HfWebhookEvent | None, WrapValidator(_or_none)] = None
    repo: Annotated[HfWebhookRepo | None, WrapValidator(_or_none)] = None


When = Annotated[StrictInt | StrictFloat | StrictStr | None, WrapValidator(_or_none)]


class MsModel(_Hub):
    """One entry of ModelScope's ``/openapi/v1/models`` list."""

    id: Str = Field(None, validation_alias=AliasChoices("id", "model_id"))
    name: Str = None
    display_name: Str = None
    tags: Strings = []
    tasks: Strings = []
    license: Str = None
    downloads: Int = None
    likes: Int = None
    created_at: When = None
    last_modified: When = None


class ArenaRow(_Hub):
    """One row of LMArena's leaderboard dataset, from the datasets server's ``/filter``."""

    model_name: StrictStr = Field(min_length=1)
    rank: int  # a float rank (1.0) reads as its integer; a bool or a string is no rank
    rating: Number = None
    rating_lower: Number = None
    rating_upper: Number = None
    vote_count: Number = None
    organization: Str = None
    category: Str = "overall"
    leaderboard_publish_date: Str = None

    @field_validator("rank", mode="before")
    @classmethod
    def _whole(cls, value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError("a rank is a number")
        return int(value)

    def describe(self) -> str:
        return f"{self.model_name} ({self.organization})" if self.organization else self.model_name
