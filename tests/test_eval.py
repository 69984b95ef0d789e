"""The labelled set meets the attribution targets, and `racewatch eval` reports them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.attribution.classify import Classifier
from bot.attribution.evaluate import evaluate, load_examples
from bot.attribution.registry import load_registry

DATA = Path(__file__).parent / "data"


def test_labelled_set_is_large_and_mixed() -> None:
    examples = load_examples(sorted(DATA.glob("attribution_*.yaml")))
    assert len(examples) >= 400
    countries = {e.country for e in examples}
    assert {"CN", "US", "none"} <= countries and len(countries) >= 10
    assert sum(1 for e in examples if e.subject.hub) >= 50
    assert (
        sum(1 for e in examples if any("\u4e00" <= ch <= "\u9fff" for ch in e.subject.title)) >= 80
    )


@pytest.mark.slow
def test_attribution_meets_its_targets_on_the_labelled_set() -> None:
    report = evaluate(
        Classifier(load_registry()), load_examples(sorted(DATA.glob("attribution_*.yaml")))
    )
    assert report.non_ai_with_country == 0, report.mistakes
    assert report.country_macro_f1 >= 0.95, report.mistakes
    assert report.kind_accuracy >= 0.85, report.mistakes


def _eval(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", "eval", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=120,
        check=False,
        env={**os.environ, "COLUMNS": "160"},
    )


@pytest.mark.slow
def test_eval_command_prints_the_synthetic_tables(tmp_path: Path) -> None:
    result = _eval("--synthetic", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "country macro-F1" in result.stdout and "Kind confusion" in result.stdout


@pytest.mark.slow
def test_eval_command_reports_both_halves_of_the_real_set(tmp_path: Path) -> None:
    result = _eval(cwd=tmp_path)
    assert result.returncode in (0, 1), result.stderr  # 1: the test half misses a target
    out = result.stdout
    assert "dev (" in out and "test (" in out and "CN/US macro-F1" in out
    for measure in ("non-AI items given a country", "kind accuracy", "hub accuracy", "least"):
        assert measure in out
    assert "test: targets" in out and "never tune on it" in out


@pytest.mark.slow
def test_eval_says_plainly_where_the_labelled_set_lives_when_it_is_missing(
    tmp_path: Path,
) -> None:
    result = _eval("--data", str(tmp_path), cwd=tmp_path)
    assert result.returncode == 1
    assert "ships with a checkout" in result.stderr and "tests/data/real" in result.stderr


@pytest.mark.slow
def test_eval_json_has_the_documented_shape(tmp_path: Path) -> None:
    result = _eval("--half", "test", "--json", cwd=tmp_path)
    assert result.returncode in (0, 1), result.stderr
    report = json.loads(result.stdout)  # one JSON object, nothing else on stdout
    assert report["targets"]["cn_us_macro_f1"] == 0.97
    (half,) = report["halves"]
    assert half["half"] == "test" and half["news"] > 100 and half["hub"] > 10
    for key in ("cn_us_macro_f1", "kind_accuracy", "hub_accuracy", "non_ai_with_country"):
        assert isinstance(half[key], int | float)
    assert [s["file"] for s in report["stories"]] == ["stories_test.jsonl"]
    assert 0 <= report["stories"][0]["precision"] <= 1
    assert report["targets_met"] == (result.returncode == 0)
