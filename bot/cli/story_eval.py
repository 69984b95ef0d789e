"""The story half of ``racewatch eval``: the real assigner on the labelled story corpus.

Each item goes through ingest (classification, release key, story assignment, write) in a
throw-away SQLite store, from a source of its own outlet (its link's host, or its hub
namespace), one item at a time in file order. The corpus spans years and many items carry
no date, so every item is taken as published at one instant: no time window separates two
releases, which makes the figures a lower bound on precision.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

from rich.console import Console
from rich.table import Table
from sqlalchemy.orm import Session

from bot.attribution.classify import Classifier
from bot.items import HubFacts, NewItem
from bot.runtime.ingest import Ingestor
from bot.store.db import open_store
from bot.store.schema import Base, Item, Source
from bot.store.sources_repo import DueSource
from bot.stories.evaluate import (
    PairScores,
    StoryExample,
    load_story_examples,
    pair_mistakes,
    pair_scores,
)

TARGET_PRECISION = 0.98
TARGET_RECALL = 0.90
_NOW = datetime(2026, 1, 1, 12, tzinfo=UTC)


def _source(session: Session, sources: dict[str, DueSource], example: StoryExample) -> DueSource:
    repo = example.repo_id
    name = f"hf:{repo.split('/')[0]}" if repo else urlsplit(example.url or "").hostname or "?"
    if name not in sources:
        row = Source(
            name=name[:100],
            type="huggingface" if repo else "feed",
            url=f"https://huggingface.co/{repo.split('/')[0]}" if repo else example.url or "",
            interval_s=900.0,
            next_poll_at=_NOW,
        )
        session.add(row)
        session.flush()
        sources[name] = DueSource(
            row.id, name, row.type, row.url, {}, True, None, None, None, 0, True, 900.0
        )
    return sources[name]


def _new_item(n: int, example: StoryExample) -> NewItem:
    repo = example.repo_id
    hub = HubFacts("huggingface", repo, repo.split("/")[0]) if repo else None
    return NewItem(
        guid=f"{n}",
        title=example.title,
        url=example.url,
        summary=example.summary,
        published_at=_NOW,
        language=example.lang,
        hub=hub,
    )


def assign_stories(classifier: Classifier, examples: list[StoryExample]) -> list[int]:
    """The story id racewatch gives each example, in order."""
    with tempfile.TemporaryDirectory() as folder:
        engine, sessions = open_store(f"sqlite:///{Path(folder) / 'eval.sqlite3'}", migrate=False)
        Base.metadata.create_all(engine)  # what the migrations build, without their log
        try:
            ingestor = Ingestor(classifier, [], [], [], 10 * 365 * 86400.0)
            sources: dict[str, DueSource] = {}
            for n, example in enumerate(examples):
                with sessions.begin() as session:
                    source = _source(session, sources, example)
                    ingestor.ingest(session, source, [_new_item(n, example)], _NOW, baseline=True)
            with sessions.begin() as session:
                got = dict(session.query(Item.guid, Item.story_id).all())
        finally:
            engine.dispose()
    return [int(got.get(f"{n}") or -n - 1) for n in range(len(examples))]


def evaluate_stories(
    classifier: Classifier, examples: list[StoryExample]
) -> tuple[PairScores, list[int]]:
    stories = assign_stories(classifier, examples)
    return pair_scores([e.release for e in examples], stories), stories


def story_files(folder: Path) -> list[Path]:
    """The story corpus files in ``folder`` or its ``real/`` subfolder."""
    return sorted(folder.glob("stories_*.jsonl")) + sorted(folder.glob("real/stories_*.jsonl"))


@dataclass(frozen=True)
class StoryResult:
    """One corpus file's pairwise figures, and its mistakes when asked for."""

    file: str
    scores: PairScores
    mistakes: list[str]

    @property
    def reported(self) -> bool:
        """Whether the file counts towards the targets (every file but a dev half)."""
        return "_dev" not in self.file

    def as_json(self) -> dict[str, object]:
        s = self.scores
        return {
            "file": self.file,
            "items": s.items,
            "releases": s.releases,
            "stories": s.stories,
            "precision": round(s.precision, 4),
            "recall": round(s.recall, 4),
            "mistakes": self.mistakes,
        }


def story_results(classifier: Classifier, files: list[Path], mistakes: bool) -> list[StoryResult]:
    results = []
    for path in files:
        examples = load_story_examples(path)
        scores, stories = evaluate_stories(classifier, examples)
        wrong = pair_mistakes(examples, stories) if mistakes else []
        results.append(StoryResult(path.name, scores, wrong))
    return results


def story_targets_met(results: list[StoryResult]) -> bool:
    """True when the test half (or, without one, every file) meets the targets."""
    return all(
        r.scores.precision >= TARGET_PRECISION and r.scores.recall >= TARGET_RECALL
        for r in results
        if r.reported
    )


def print_story_eval(out: Console, results: list[StoryResult]) -> bool:
    """Print pairwise figures per file; True when the targets are met."""
    table = Table(title="Stories: pairs of items put in one story (same release)")
    for col in ("file", "items", "releases", "stories", "precision", "recall"):
        table.add_column(col, justify="left" if col == "file" else "right")
    for r in results:
        s = r.scores
        table.add_row(
            r.file,
            str(s.items),
            str(s.releases),
            str(s.stories),
            f"{s.precision:.3f}",
            f"{s.recall:.3f}",
        )
    ok = story_targets_met(results)
    out.print(table)
    out.print(
        f"story targets on the test half: precision >= {TARGET_PRECISION}, recall >= "
        f"{TARGET_RECALL}: {'ok' if ok else 'MISSED'} (every item taken as published at one "
        "instant, so no time window separates two releases)"
    )
    for r in results:
        for line in r.mistakes:
            out.print(f"  {r.file}: {line}", markup=False)
    return ok
