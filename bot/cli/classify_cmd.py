"""``racewatch classify``: one headline explained, or JSON lines in and out for scripts."""

from __future__ import annotations

import json
import sys
from typing import TextIO

import click
from rich.console import Console

from bot.attribution.classify import Classification, Classifier, Subject
from bot.attribution.vocab import KINDS, MODALITIES, flag
from bot.cli import Context, cli, pass_ctx
from bot.runtime.app import load_org_registry
from bot.runtime.lines import as_json, classify_line
from bot.stories.keys import release_key
from bot.stories.release import families_of, model_kind

console = Console(highlight=False)


def _explain(title: str, result: Classification, classifier: Classifier) -> None:
    org = classifier.registry.get(result.primary_org)
    root = classifier.registry.root(org).id if org else None
    key = release_key(title, families_of(classifier.registry), root)
    result = model_kind(result, key)  # as ingest decides it
    console.print(
        f"[bold]{flag(result.primary_country)} country:[/] {result.primary_country or 'none'}"
        f"   involved: {', '.join(result.countries) or 'none'}   confidence {result.confidence:.2f}"
    )
    console.print(
        f"[bold]organisation:[/] {org.name if org else 'none'}"
        + (f"   also: {', '.join(result.orgs[1:])}" if len(result.orgs) > 1 else "")
    )
    console.print(
        f"[bold]kind:[/] {KINDS[result.kind]}   modality: "
        f"{', '.join(MODALITIES[m] for m in result.modalities) or 'unknown'}   open weights: "
        f"{result.open_weights}"
        + (f" ({result.licence})" if result.licence else "")
        + (f"   parameters: {result.params / 1e9:g}B" if result.params else "")
    )
    if result.derivative:
        console.print(
            f"[bold]derivative:[/] {result.derivative} of {result.base_model or 'an unknown model'}"
            f", uploaded by {result.uploader}"
            + ("" if result.release else " (not a release: not counted in the gap)")
        )
    console.print("[bold]release key:[/] ", end="")
    console.print(
        key.describe() if key else "none (no model family and version of its organisation)",
        markup=False,
    )
    console.print("[bold]reasons:[/]")
    for reason in result.reasons or ("no organisation, product or AI signal found",):
        console.print(f"  - {reason}", markup=False)


def _batch(stream: TextIO, classifier: Classifier) -> int:
    """One JSON line out per line in, in order; returns how many lines were bad."""
    bad = 0
    for number, line in enumerate(stream, 1):
        if not line.strip():
            out: dict[str, object] = {"error": "empty line"}
        else:
            out = classify_line(line, classifier)
        if "error" in out:
            bad += 1
            out["line"] = number
        sys.stdout.write(json.dumps(out, ensure_ascii=False) + "\n")
    sys.stdout.flush()
    return bad


@cli.command()
@click.argument("text", required=False)
@click.option("--summary", default="", help="Body text to classify along with the headline.")
@click.option("--url", default=None, help="The item's link (its domain is evidence too).")
@click.option("--json", "as_json_out", is_flag=True, help="Print the result as one JSON object.")
@click.option(
    "--batch",
    type=click.File("r", encoding="utf-8"),
    help="Classify JSON lines from FILE (- for standard input): {title, summary?, url?}, "
    '{"huggingface": record} or {"modelscope": record}; one JSON line out per line in.',
)
@pass_ctx
def classify(
    ctx: Context,
    text: str | None,
    summary: str,
    url: str | None,
    as_json_out: bool,
    batch: TextIO | None,
) -> None:
    """Classify a headline: organisations, countries, kind, and the reasons."""
    if (text is None) == (batch is None):
        raise click.UsageError("give either a headline (TEXT) or --batch FILE")
    classifier = Classifier(load_org_registry(ctx.config()))
    if batch is not None:
        bad = _batch(batch, classifier)
        if bad:
            click.echo(f"{bad} line(s) could not be classified (see their 'error')", err=True)
        return
    assert text is not None
    result = classifier.classify(Subject(title=text, summary=summary, url=url))
    if as_json_out:
        click.echo(json.dumps(as_json(result, classifier), ensure_ascii=False))
    else:
        _explain(text, result, classifier)
