"""The labelled set meets the attribution targets, and `racewatch eval` reports them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

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


def test_attribution_meets_its_targets_on_the_labelled_set() -> None:
    report = evaluate(
        Classifier(load_registry()), load_examples(sorted(DATA.glob("attribution_*.yaml")))
    )
    assert report.non_ai_with_country == 0, report.mistakes
    assert report.country_macro_f1 >= 0.95, report.mistakes
    assert report.kind_accuracy >= 0.85, report.mistakes


def test_eval_command_prints_the_tables(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bot", "eval"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "country macro-F1" in result.stdout and "Kind confusion" in result.stdout
