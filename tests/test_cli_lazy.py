"""``racewatch --help`` and ``--version`` start fast: heavy libraries load only when used."""

from __future__ import annotations

import resource
import subprocess
import sys

import pytest

HEAVY = ("sqlalchemy", "alembic", "discord", "slack_bolt", "slack_sdk", "matplotlib", "aiohttp")


def _imported_modules(*args: str) -> set[str]:
    """Every module a fresh ``racewatch ARGS`` imports, read from ``python -X importtime``."""
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "bot", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    names = set()
    for line in result.stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            names.add(line.rsplit("|", 1)[1].strip())
    assert "bot.cli" in names, result.stderr[-2000:]
    return names


@pytest.mark.parametrize("args", [("--help",), ("--version",), ("-h",)])
@pytest.mark.slow
def test_help_and_version_do_not_import_heavy_libraries(args: tuple[str, ...]) -> None:
    names = _imported_modules(*args)
    loaded = {n for n in names if n.split(".")[0] in HEAVY}
    assert not loaded, sorted(loaded)[:10]


@pytest.mark.slow
def test_version_takes_under_a_third_of_a_second_of_cpu() -> None:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    for _ in range(3):
        subprocess.run([sys.executable, "-m", "bot", "--version"], capture_output=True, check=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime) / 3
    assert cpu < 0.3, f"racewatch --version used {cpu:.2f} s of CPU"


def test_commands_read_from_the_source_match_the_registered_ones() -> None:
    import bot.cli as cli_module

    scanned = cli_module.scan_commands()
    cli_module.load_all_commands()
    registered = cli_module.cli.commands
    assert set(registered) == set(scanned)
    for name, command in registered.items():
        module, text = scanned[name]
        assert command.callback is not None
        assert command.callback.__module__ == f"bot.cli.{module}", name
        short = cli_module.click.Command(name, help=text).get_short_help_str(80)
        assert command.get_short_help_str(80) == short, name
