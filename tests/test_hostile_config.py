"""Hostile settings files: each gives the problem list, never a traceback or a hang."""

from __future__ import annotations

import resource
import subprocess
import sys
from pathlib import Path

import pytest

from bot.config.loader import load_config
from bot.errors import ConfigError
from tests.hostile_corpus import yaml_alias_bomb

HOSTILE_SETTINGS = {
    "alias bomb": (yaml_alias_bomb(), "expands to more than"),
    "deep flow nesting": ("rules: " + "[" * 20000 + "]" * 20000 + "\n", "nest"),
    "deep block nesting": (
        "".join("  " * i + f"k{i}:\n" for i in range(150)) + "  " * 150 + "x: 1\n",
        "nested more than",
    ),
    "impossible date": ("poll:\n  default_interval: 2001-02-30\n", "not a valid value"),
    "python tag": ("database_url: !!python/object/apply:os.system [id]\n", "database_url"),
    "python scalar tag": ("database_url: !!python/name:os.system\n", "not a value"),
    "unknown tag": ("data_dir: !include /etc/passwd\n", "not a value"),
    "NUL byte": ("database_url: sqlite:///x\x00\n", "NUL"),
    "zero parse timeout": ("poll:\n  parse_timeout: 0\n", "parse_timeout"),
    "zero read timeout": ("poll:\n  read_timeout: 0s\n", "read_timeout"),
    "a list, not a mapping": ("- a\n- b\n", "mapping"),
    "tab indentation": ("poll:\n\tjitter: 0\n", "tabs"),
}


@pytest.mark.parametrize("name", list(HOSTILE_SETTINGS))
def test_a_hostile_settings_file_is_a_list_of_problems(name: str, tmp_path: Path) -> None:
    text, expected = HOSTILE_SETTINGS[name]
    path = tmp_path / "racewatch.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_config(path, env={})
    shown = [str(p) for p in info.value.problems]
    assert any(expected in p for p in shown), shown
    assert all(str(path) in p for p in shown), shown


def test_not_utf8_and_directories_are_named_problems(tmp_path: Path) -> None:
    latin = tmp_path / "latin.yaml"
    latin.write_bytes(b"data_dir: caf\xe9\n")
    for path, expected in ((latin, "not UTF-8"), (tmp_path, "cannot read file")):
        with pytest.raises(ConfigError) as info:
            load_config(path, env={})
        assert expected in str(info.value.problems[0])


@pytest.mark.slow
def test_dev_zero_as_a_rules_file_is_refused_not_read_forever(tmp_path: Path) -> None:
    path = tmp_path / "racewatch.yaml"
    path.write_text("rules_files: [/dev/zero]\n", encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_config(path, env={})
    assert "/dev/zero" in str(info.value.problems[0])
    assert "larger than" in str(info.value.problems[0])


def _one_gigabyte() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))


@pytest.mark.slow
def test_config_check_of_an_alias_bomb_stays_small_and_exits_2(tmp_path: Path) -> None:
    """700 bytes of aliases once took 1.3 GB; under a 1 GB limit it must be refused."""
    path = tmp_path / "bomb.yaml"
    path.write_text(yaml_alias_bomb(), encoding="utf-8")
    assert len(path.read_bytes()) < 1000
    result = subprocess.run(
        [sys.executable, "-m", "bot", "config", "check", str(path)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        preexec_fn=_one_gigabyte,
        check=False,
    )
    assert result.returncode == 2, result.stderr
    assert "expands to more than" in result.stderr and "Traceback" not in result.stderr
