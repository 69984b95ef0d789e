"""A wheel carries the shipped configuration as package data, so pip installs work too."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_the_wheel_contains_the_package_the_catalogue_the_migrations_and_licence(
    tmp_path: Path,
) -> None:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "-w",
            str(tmp_path),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    [wheel] = tmp_path.glob("racewatch-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for shipped in ("sources.yaml", "orgs.yaml", "rules.example.yaml", "racewatch.example.yaml"):
        assert f"bot/_shipped_config/{shipped}" in names
    assert "bot/store/migrations/env.py" in names
    assert any(n.startswith("bot/store/migrations/versions/0001") for n in names)
    assert "bot/demo/snapshot.yaml" in names
    assert {"bot/attribution/words.yaml", "bot/attribution/places.yaml"} <= names
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    assert "racewatch = bot.cli:main" in zipfile.ZipFile(wheel).read(entry_points).decode()
    licence = next(n for n in names if n.endswith(".dist-info/licenses/LICENSE"))
    text = zipfile.ZipFile(wheel).read(licence).decode()
    assert "Apache License" in text and "Version 2.0, January 2004" in text
    metadata = zipfile.ZipFile(wheel).read(next(n for n in names if n.endswith("METADATA")))
    assert "License-Expression: Apache-2.0" in metadata.decode()
