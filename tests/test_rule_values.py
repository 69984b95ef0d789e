"""A rule value racewatch can never see is an error at load, with file, line and a hint."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml

from bot.attribution.classify import Classifier, Subject
from bot.attribution.registry import load_registry
from bot.config.loader import load_config
from bot.errors import ConfigError
from bot.rules.facts import Facts
from bot.rules.match import run_rules
from bot.rules.model import Rule
from bot.runtime.app import App
from tests.fakes import FakeSlack
from tests.test_cli import racewatch
from tests.test_commands import app, bolt_for, slack_api, slack_says  # noqa: F401

BAD = """\
rules:
  - name: typos
    when:
      org: deepsek
      source: no-such-source
  - name: nested
    when:
      any:
        - org: [qwen, alibabba]
        - source: techcrunh-ai
"""

BAD_VALUES = """\
rules:
  - name: names
    when:
      country: China
      countries_involved: [US, XX]
      language: klingon
      licence: apache-2.0-ish
      kind: model_relase
"""


def problems(tmp_path: Path, text: str) -> list[str]:
    path = tmp_path / "rules.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as caught:
        load_config(path, env={})
    return [f"{p.file}:{p.line} {p.where}: {p.message} | {p.hint}" for p in caught.value.problems]


@pytest.mark.slow
def test_unknown_organisations_and_sources_are_errors_with_lines_and_hints(
    tmp_path: Path,
) -> None:
    found = problems(tmp_path, BAD)
    path = tmp_path / "rules.yaml"
    assert any(
        f"{path}:4" in p and "unknown organisation 'deepsek'" in p and "deepseek" in p
        for p in found
    ), found
    assert any(f"{path}:5" in p and "unknown source 'no-such-source'" in p for p in found)
    assert any(
        f"{path}:9" in p and "'alibabba'" in p and "did you mean alibaba" in p for p in found
    )
    assert any(f"{path}:10" in p and "did you mean techcrunch-ai?" in p for p in found), found


def test_countries_languages_licences_and_kinds_are_checked_against_their_lists(
    tmp_path: Path,
) -> None:
    found = problems(tmp_path, BAD_VALUES)
    text = "\n".join(found)
    assert "'China' is a country name | use its code CN" in text
    assert "'XX' is not an ISO 3166 two-letter country code" in text
    assert "'klingon' is not an ISO 639-1 language code" in text
    assert "unknown licence 'apache-2.0-ish'" in text
    assert "unknown kind 'model_relase' | did you mean model_release?" in text
    lines = sorted(int(p.split(":")[1].split()[0]) for p in found)
    assert lines == [4, 5, 6, 7, 8]


@pytest.mark.slow
def test_aliases_names_and_licence_spellings_are_accepted_and_normalised(tmp_path: Path) -> None:
    path = tmp_path / "ok.yaml"
    path.write_text(
        "rules: [{name: ok, when: {org: [月之暗面, Zhipu AI], country: cn, language: zh-CN,"
        " licence: [Apache 2.0, llama3.1]}}]\n"
    )
    rule = load_config(path, env={}).rules[0]
    assert rule.when is not None
    assert rule.when.country == ["CN"] and rule.when.language == ["zh"]
    assert rule.when.licence == ["apache-2.0", "llama3.1"]


@pytest.mark.slow
def test_the_readme_licence_example_matches_a_stored_apache_licence() -> None:
    classifier = Classifier(load_registry())
    cls = classifier.classify(
        Subject(title="StepFun open-sources Step-3 under the Apache 2.0 licence")
    )
    assert cls.licence == "apache-2.0"  # stored as the id, however the text wrote it
    rule = Rule.model_validate({"name": "apache", "when": {"licence": "apache-2.0"}})
    facts = Facts(
        title="t",
        summary="",
        source="s",
        language="en",
        country="CN",
        countries=frozenset(),
        org_keys=frozenset(),
        kind="model_release",
        modalities=frozenset(),
        open_weights="yes",
        licence=cls.licence,
        params=None,
        downloads=None,
        likes=None,
        published_at=datetime.now(UTC),
    )
    assert run_rules([rule], [], facts, facts.published_at, 86400)[0].matched


async def test_a_reload_with_an_unknown_organisation_keeps_the_rules_in_force(
    app: App,  # noqa: F811
) -> None:
    path = app.config.config_file
    assert path is not None
    before = [r.name for r in app.rules_in_force()[0]]
    settings = yaml.safe_load(path.read_text())
    settings["rules"] = [{"name": "typo", "when": {"org": "deepsek"}}]
    path.write_text(yaml.safe_dump(settings))
    assert app.reload_rules() is False
    assert [r.name for r in app.rules_in_force()[0]] == before


async def test_chat_rules_are_checked_against_organisations_and_sources(
    app: App,  # noqa: F811
    slack_api: FakeSlack,  # noqa: F811
) -> None:
    bolt = bolt_for(app, slack_api)
    typo = await slack_says(bolt, slack_api, "watch add ds org=deepsek", user="UADMIN")
    assert "unknown organisation 'deepsek'" in typo["text"] and "deepseek" in typo["text"]
    named = await slack_says(bolt, slack_api, "watch add cn country=China", user="UADMIN")
    assert "use its code CN" in named["text"]
    source = await slack_says(bolt, slack_api, "watch test source=newz", user="UADMIN")
    assert "unknown source 'newz'" in source["text"] and "did you mean news?" in source["text"]
    ok = await slack_says(bolt, slack_api, "watch add ds org=DeepSeek source=news", user="UADMIN")
    assert "Rule added" in json.dumps(ok["blocks"])


async def test_a_dry_run_that_matches_nothing_shows_the_closest_misses(
    app: App,  # noqa: F811
    slack_api: FakeSlack,  # noqa: F811
) -> None:
    bolt = bolt_for(app, slack_api)
    tested = await slack_says(
        bolt, slack_api, "watch test country=CN modality=video_gen org=zhipu", "UADMIN"
    )
    text = json.dumps(tested["blocks"], ensure_ascii=False)
    assert "Would fire on 0" in text
    assert "the conditions that failed most: org (failed on 3 of 3 items)" in text
    assert "closest: #" in text and "Kling" in text  # CN video: only the organisation differs


async def test_rules_test_lists_the_closest_misses_of_a_rule_that_fires_on_nothing(
    app: App,  # noqa: F811
) -> None:
    path = app.config.config_file
    assert path is not None
    settings = yaml.safe_load(path.read_text())
    settings["rules"] = [
        {"name": "cn-video", "when": {"country": "CN", "modality": "video_gen", "org": "zhipu"}},
        {"name": "all", "when": {"countries_involved": ["CN", "US"]}},
    ]
    path.write_text(yaml.safe_dump(settings))
    result = racewatch("-c", str(path), "rules", "test", cwd=path.parent)
    assert result.returncode == 0, result.stderr
    out = " ".join(result.stdout.split())
    assert "cn-video: would fire on 0" in out and "all: would fire on 3" in out
    assert "the conditions that failed most: org (failed on 3 of 3 items)" in out
    assert "closest: #" in out and "Kling" in out  # CN video, only the organisation differs
