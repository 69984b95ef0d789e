"""Source kinds: one module per source ``type``, found here at import.

Adding a source type is one new module in this folder: it defines the settings model (a
:class:`~bot.sources.kinds.base.SourceBase` whose ``type`` is a one-value ``Literal``), a
:class:`~bot.sources.kinds.base.Kind` saying how a poll builds its request, parses the body
and labels the source, and calls :func:`register`. The settings file accepts the new type
from then on (``SourceSpec`` is the union of every registered model), and the poller, the
sources table, the Hub budget and the coverage count look the kind up by ``type``.
"""

from __future__ import annotations

import importlib
import pkgutil
from typing import TYPE_CHECKING, Any

from pydantic import TypeAdapter

from bot.located_yaml.unions import tagged_union
from bot.sources.kinds.base import Kind, SourceBase

KINDS: dict[str, Kind[Any]] = {}


def register(kind: Kind[Any]) -> None:
    KINDS[kind.type] = kind


def kind_of(source_type: str) -> Kind[Any]:
    """The kind of a source type; KeyError for a type no module registers."""
    return KINDS[source_type]


def spec_of(source_type: str, stored: dict[str, Any]) -> SourceBase:
    """A sources row's settings, typed (a pydantic ValidationError when they no longer
    validate, such as a row written by another version)."""
    spec: SourceBase = kind_of(source_type).spec_of(stored)
    return spec


for _module in pkgutil.iter_modules(__path__):
    if _module.name != "base":
        importlib.import_module(f"{__name__}.{_module.name}")

if TYPE_CHECKING:
    SourceSpec = SourceBase
else:  # the settings of any registered kind, chosen by ``type`` (a feed when it is missing)
    SourceSpec = tagged_union(tuple(k.settings for k in KINDS.values()), default="feed")
SOURCE: TypeAdapter[SourceBase] = TypeAdapter(SourceSpec)
