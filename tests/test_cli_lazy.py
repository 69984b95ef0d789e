"""``racewatch --help`` and ``--version`` start fast: heavy libraries load only when used."""

from __future__ import annotations

import resource
import subprocess
import sys
from pathlib import Path

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


def test_poll_once_on_a_current_schema_does_not_import_chat_charts_or_migrations(
    tmp_path: Path,
) -> None:
    """A nothing-to-do ``poll --once`` (cron, every minute) pays for what it uses only."""
    config = tmp_path / "racewatch.yaml"
    config.write_text(
        f"database_url: sqlite:///{tmp_path / 'rw.sqlite3'}\n"
        "default_sources: false\n"
        "destinations: {file: {type: jsonl, path: alerts.jsonl}}\n"
        "rules: [{name: all, when: {countries_involved: [CN, US]}}]\n"
    )
    first = _imported_modules("-c", str(config), "poll", "--once")  # creates the schema
    assert "alembic" in first
    names = _imported_modules("-c", str(config), "poll", "--once")
    loaded = {n for n in names if n.split(".")[0] in ("alembic", "discord", "slack_bolt")}
    loaded |= {n for n in names if n.split(".")[0] in ("slack_sdk", "matplotlib")}
    assert not loaded, sorted(loaded)[:10]


def test_the_schema_head_read_from_the_migration_files_is_alembics() -> None:
    from alembic.script import ScriptDirectory

    from bot.store import db

    config = db._alembic_config(db.make_engine("sqlite://"))
    assert db._head_revision() == ScriptDirectory.from_config(config).get_current_head()
