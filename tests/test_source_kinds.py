"""A source type is one module in bot/sources/kinds/: found at import, accepted by the
settings file, and looked up by the poller and the sources table."""

from __future__ import annotations

import pkgutil

import pytest
from pydantic import ValidationError

from bot.sources import kinds
from bot.sources.kinds.feed import FeedSource
from bot.store.sources_repo import source_url


def test_every_module_in_the_folder_registers_the_kind_it_is_named_after() -> None:
    modules = {m.name for m in pkgutil.iter_modules(kinds.__path__)} - {"base"}
    assert modules == set(kinds.KINDS)
    for name, kind in kinds.KINDS.items():
        assert kind.type == name == kind.settings.model_fields["type"].default


def test_the_settings_file_names_every_registered_type_when_one_is_unknown() -> None:
    with pytest.raises(ValidationError) as info:
        kinds.SOURCE.validate_python({"name": "x", "type": "rss"})
    assert all(f"'{name}'" in str(info.value) for name in kinds.KINDS)


def test_a_source_without_a_type_is_a_feed_and_keys_of_other_types_are_refused() -> None:
    spec = kinds.SOURCE.validate_python({"name": "blog", "url": "https://example.org/feed"})
    assert isinstance(spec, FeedSource)
    with pytest.raises(ValidationError):
        kinds.SOURCE.validate_python({"name": "blog", "url": "https://example.org/", "org": "Q"})


def test_a_chat_added_row_reads_back_as_its_settings() -> None:
    stored = {"name": "blog", "type": "feed", "url": "https://example.org/feed"}
    spec = kinds.spec_of("feed", {**stored, "chat_workspace": "T0123"})
    assert spec == FeedSource(name="blog", url="https://example.org/feed")
    assert source_url(spec) == "https://example.org/feed"
