"""``racewatch eval``: attribution quality on the labelled set, against the targets."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from bot.attribution.classify import Classifier
from bot.attribution.evaluate import NONE, Report, Scores, evaluate, load_examples
from bot.cli import Context, cli, pass_ctx
from bot.cli.story_eval import print_story_eval, story_files
from bot.runtime.app import load_org_registry

CHECKOUT_DATA = Path(__file__).resolve().parents[2] / "tests" / "data"
TARGET_COUNTRY_F1 = 0.95
TARGET_KIND_ACCURACY = 0.85


def _score_table(title: str, scores: list[Scores]) -> Table:
    table = Table(title=title)
    for col in ("label", "precision", "recall", "F1", "support"):
        table.add_column(col, justify="right" if col != "label" else "left")
    for s in scores:
        table.add_row(
            s.label, f"{s.precision:.3f}", f"{s.recall:.3f}", f"{s.f1:.3f}", str(s.support)
        )
    return table


def _confusion(title: str, report: Report, labels: list[str], which: str) -> Table:
    confusion = report.country_confusion if which == "country" else report.kind_confusion
    table = Table(title=title)
    table.add_column("expected \\ got")
    for label in labels:
        table.add_column(label[:10], justify="right")
    for gold in labels:
        table.add_row(gold, *(str(confusion.get((gold, got), 0) or "·") for got in labels))
    return table


@cli.command("eval")
@click.option(
    "--data",
    "data",
    type=click.Path(path_type=Path, exists=True),
    help="A labelled YAML file or a folder of them (default: tests/data in the checkout).",
)
@click.option("--mistakes", is_flag=True, help="List every example classified wrongly.")
@pass_ctx
def eval_command(ctx: Context, data: Path | None, mistakes: bool) -> None:
    """Precision, recall and F1 per country and per kind on the labelled set, and story
    pairwise precision and recall on the story corpus."""
    folder = data or CHECKOUT_DATA
    files = sorted(folder.glob("attribution_*.yaml")) if folder.is_dir() else [folder]
    if not files:
        raise click.ClickException(
            f"no labelled files (attribution_*.yaml) in {folder}; pass --data"
        )
    examples = load_examples(files)
    classifier = Classifier(load_org_registry(ctx.config()))
    report = evaluate(classifier, examples)
    out = Console(highlight=False)
    out.print(f"{report.examples} labelled examples from {len(files)} files in {folder}")
    out.print(_score_table("Country (other = any third country)", report.country_scores))
    out.print(_confusion("Country confusion", report, ["CN", "US", "other", NONE], "country"))
    out.print(_score_table("Release kind", report.kind_scores))
    kinds = [s.label for s in report.kind_scores]
    out.print(_confusion("Kind confusion", report, kinds, "kind"))
    ok_country = report.country_macro_f1 >= TARGET_COUNTRY_F1
    ok_kind = report.kind_accuracy >= TARGET_KIND_ACCURACY
    out.print(
        f"country macro-F1 {report.country_macro_f1:.3f} (target {TARGET_COUNTRY_F1}) "
        f"{'ok' if ok_country else 'MISSED'}; country accuracy {report.country_accuracy:.3f}"
    )
    out.print(
        f"kind accuracy {report.kind_accuracy:.3f} (target {TARGET_KIND_ACCURACY}) "
        f"{'ok' if ok_kind else 'MISSED'}"
    )
    out.print(f"non-AI items given a country: {report.non_ai_with_country} (target 0)")
    if mistakes:
        for line in report.mistakes:
            out.print(f"  {line}", markup=False)
    corpus = story_files(folder if folder.is_dir() else folder.parent)
    ok_stories = print_story_eval(out, classifier, corpus, mistakes) if corpus else True
    if not (ok_country and ok_kind and report.non_ai_with_country == 0 and ok_stories):
        sys.exit(1)
