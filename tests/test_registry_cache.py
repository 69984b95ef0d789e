"""The parsed registry kept between runs: the same organisations as reading the files, and
a new reading whenever a file changes."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.attribution import registry_cache
from bot.attribution.registry import _read_registry, load_registry
from bot.errors import ConfigError
from bot.shipped import shipped_file


@pytest.fixture(autouse=True)
def _fresh_process(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test starts like a new process: nothing remembered in memory."""
    monkeypatch.setattr(registry_cache, "_memo", {})


def _extra(tmp_path: Path, name: str) -> Path:
    path = tmp_path / "my-orgs.yaml"
    path.write_text(
        f"organisations:\n  - {{id: acme-ai, name: {name}, country: DE, aliases: [{name}]}}\n",
        encoding="utf-8",
    )
    return path


def test_a_kept_registry_is_the_registry_the_files_give(tmp_path: Path) -> None:
    extra = _extra(tmp_path, "Acme AI")
    read = _read_registry([shipped_file("orgs.yaml"), extra])
    load_registry([extra])  # reads the files and keeps the result
    registry_cache._memo.clear()  # a new process finds it in the cache folder
    kept = load_registry([extra])
    assert kept.orgs == read.orgs
    assert kept.rule_keys == read.rule_keys
    assert kept.by_domain("deepseek.com") == read.by_domain("deepseek.com")
    assert list((tmp_path / "xdg-cache").rglob("registry-*"))


def test_an_edited_organisation_file_is_read_again(tmp_path: Path) -> None:
    extra = _extra(tmp_path, "Acme AI")
    assert load_registry([extra]).orgs["acme-ai"].name == "Acme AI"
    _extra(tmp_path, "Acme Labs")
    assert load_registry([extra]).orgs["acme-ai"].name == "Acme Labs"


def test_a_damaged_cache_file_is_read_past(tmp_path: Path) -> None:
    load_registry()
    for kept in (tmp_path / "xdg-cache").rglob("registry-*"):
        kept.write_bytes(b"\x00garbage")
    registry_cache._memo.clear()
    assert len(load_registry()) == len(_read_registry([shipped_file("orgs.yaml")]))


def test_mistakes_in_a_file_are_reported_every_time(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("organisations:\n  - {id: x, name: X, country: XXX}\n", encoding="utf-8")
    for _ in range(2):
        with pytest.raises(ConfigError):
            load_registry([bad])
    with pytest.raises(ConfigError):
        load_registry([tmp_path / "missing.yaml"])


def test_an_unwritable_cache_folder_is_no_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("", encoding="utf-8")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))
    assert len(load_registry()) > 1000
