"""Story quality on a labelled corpus: pairwise precision and recall of "same release".

The corpus (``tests/data/real/stories_*.jsonl``) labels each item with the release it covers;
every pair of items in one file is a decision the story assigner makes, right or wrong.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from bot.errors import ConfigError, Problem


@dataclass(frozen=True)
class StoryExample:
    title: str
    summary: str
    url: str | None
    lang: str | None
    release: str  # the label: items with the same label are one release
    file: str
    line: int

    @property
    def repo_id(self) -> str | None:
        """A hub item's repository id (its title is ``owner/name``), else None."""
        title = self.title.strip()
        owner, _, name = title.partition("/")
        return title if owner and name and " " not in title and "/" not in name else None


def load_story_examples(path: Path) -> list[StoryExample]:
    """Every line of one JSON Lines file; a broken line is an error naming file and line."""
    out: list[StoryExample] = []
    problems: list[Problem] = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            out.append(
                StoryExample(
                    str(row["title"]),
                    str(row.get("summary") or ""),
                    row.get("url"),
                    row.get("lang"),
                    str(row["release"]),
                    str(path),
                    n,
                )
            )
        except (ValueError, KeyError, TypeError) as exc:
            problems.append(Problem(str(path), n, "", f"not a story example: {exc}"))
    if problems:
        raise ConfigError(problems)
    return out


@dataclass(frozen=True)
class PairScores:
    items: int
    releases: int
    stories: int
    true_pairs: int  # same release, same story
    false_pairs: int  # different releases, same story
    missed_pairs: int  # same release, different stories

    @property
    def precision(self) -> float:
        found = self.true_pairs + self.false_pairs
        return self.true_pairs / found if found else 1.0

    @property
    def recall(self) -> float:
        wanted = self.true_pairs + self.missed_pairs
        return self.true_pairs / wanted if wanted else 1.0


def pair_scores(labels: Sequence[str], stories: Sequence[int]) -> PairScores:
    """Pairwise scores of predicted ``stories`` against gold ``labels`` (same order)."""
    tp = fp = fn = 0
    for (gold_a, got_a), (gold_b, got_b) in itertools.combinations(
        zip(labels, stories, strict=True), 2
    ):
        same_gold, same_got = gold_a == gold_b, got_a == got_b
        tp += same_gold and same_got
        fp += same_got and not same_gold
        fn += same_gold and not same_got
    return PairScores(len(labels), len(set(labels)), len(set(stories)), tp, fp, fn)


def pair_mistakes(examples: Sequence[StoryExample], stories: Sequence[int]) -> list[str]:
    """Merged pairs of different releases, then split pairs of one release, for people."""
    out = []
    pairs = list(itertools.combinations(zip(examples, stories, strict=True), 2))
    for (a, sa), (b, sb) in pairs:
        if sa == sb and a.release != b.release:
            out.append(f"merged  {a.release} / {b.release}: {a.title[:60]} | {b.title[:60]}")
    for (a, sa), (b, sb) in pairs:
        if sa != sb and a.release == b.release:
            out.append(f"split   {a.release}: {a.title[:60]} | {b.title[:60]}")
    return out
