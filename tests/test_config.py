"""Configuration errors name the file, the line and what to do, and list every problem."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config.loader import load_config
from bot.errors import ConfigError


def problems_of(path: Path, env: dict[str, str] | None = None) -> list[str]:
    with pytest.raises(ConfigError) as info:
        load_config(path, env=env or {})
    return [str(p) for p in info.value.problems]


@pytest.mark.slow
def test_no_config_at_all_gives_sqlite_in_the_data_dir_and_the_shipped_catalogue() -> None:
    config = load_config(None, env={})
    assert config.database_url.startswith("sqlite:///")
    assert config.database_url.endswith("racewatch.sqlite3")
    assert len([s for s in config.sources if s.type == "feed"]) >= 20
    assert len([s for s in config.sources if s.type == "huggingface"]) >= 30
    assert config.rules, "the shipped example rules apply when none are configured"
    assert list(config.settings.destinations) == ["console"]


def test_typo_in_a_rule_field_is_an_error_with_line_and_did_you_mean(tmp_path: Path) -> None:
    path = tmp_path / "racewatch.yaml"
    path.write_text(
        "rules:\n  - name: cn-models\n    when:\n      contry: CN\n",
        encoding="utf-8",
    )
    [problem] = problems_of(path)
    assert f"{path}:4" in problem
    assert "unknown field 'contry'" in problem
    assert "did you mean 'country'?" in problem


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    path = tmp_path / "racewatch.yaml"
    path.write_text(
        "log_levl: debug\n"
        "poll:\n"
        "  max_body: lots\n"
        "rules:\n"
        "  - name: bad-regex\n"
        "    when: {regex: 'qwen(('}\n"
        "  - name: nowhere\n"
        "    notify: [slack-team]\n",
        encoding="utf-8",
    )
    found = problems_of(path)
    text = "\n".join(found)
    assert "unknown field 'log_levl'" in text and "did you mean 'log_level'" in text
    assert f"{path}:3" in text and "'lots' is not a size" in text
    assert f"{path}:6" in text and "invalid regular expression" in text
    assert len(found) == 3  # the unknown destination is checked once the file is valid


@pytest.mark.slow
def test_unknown_destination_in_a_rule_is_named(tmp_path: Path) -> None:
    path = tmp_path / "racewatch.yaml"
    path.write_text("rules:\n  - name: r\n    notify: [slack-team]\n", encoding="utf-8")
    [problem] = problems_of(path)
    assert "unknown destination 'slack-team'" in problem and f"{path}:3" in problem


def test_broken_yaml_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "racewatch.yaml"
    path.write_text("poll:\n  default_interval: 15m\n   max_body: [\n", encoding="utf-8")
    [problem] = problems_of(path)
    assert "not valid YAML" in problem and f"{path}:3" in problem


def test_missing_file_is_one_clear_problem(tmp_path: Path) -> None:
    [problem] = problems_of(tmp_path / "nope.yaml")
    assert "nope.yaml" in problem and "file not found" in problem


def test_a_secret_in_the_file_is_refused_with_a_pointer_to_the_environment(tmp_path: Path) -> None:
    path = tmp_path / "racewatch.yaml"
    path.write_text("discord_token: abc\n", encoding="utf-8")
    [problem] = problems_of(path)
    assert "secrets never go in config files" in problem


@pytest.mark.slow
def test_environment_overrides_the_file(tmp_path: Path) -> None:
    path = tmp_path / "racewatch.yaml"
    path.write_text("poll:\n  max_body: 1MiB\nlog_level: warning\n", encoding="utf-8")
    config = load_config(
        path,
        env={
            "RACEWATCH_POLL__MAX_BODY": "2MiB",
            "RACEWATCH_LOG_LEVEL": "debug",
            "DATABASE_URL": "postgresql://u@h/db",
        },
    )
    assert config.settings.poll.max_body == 2 * 1024 * 1024
    assert config.settings.log_level == "debug"
    assert config.database_url == "postgresql://u@h/db"


@pytest.mark.slow
def test_bad_environment_values_name_the_variable(tmp_path: Path) -> None:
    path = tmp_path / "racewatch.yaml"
    path.write_text("{}\n", encoding="utf-8")
    found = problems_of(path, env={"RACEWATCH_POLL__MAX_BODY": "huge", "RACEWATCH_COLOUR": "red"})
    text = "\n".join(found)
    assert "RACEWATCH_POLL__MAX_BODY" in text and "'huge' is not a size" in text
    assert "RACEWATCH_COLOUR" in text and "not a racewatch setting" in text


@pytest.mark.slow
def test_shipped_example_settings_file_is_valid() -> None:
    example = Path(__file__).parent.parent / "config" / "racewatch.example.yaml"
    config = load_config(example, env={})
    assert "archive" in config.settings.destinations
