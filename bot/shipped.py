"""Where the shipped configuration lives: in the wheel as package data, or in the checkout."""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent  # the bot package


def shipped_dir() -> Path:
    """The folder holding ``sources.yaml``, ``orgs.yaml`` and the example rules."""
    for candidate in (_PACKAGE / "_shipped_config", _PACKAGE.parent / "config"):
        if (candidate / "sources.yaml").is_file():
            return candidate
    raise FileNotFoundError("racewatch's shipped configuration is missing; reinstall the package")


def shipped_file(name: str) -> Path:
    return shipped_dir() / name
