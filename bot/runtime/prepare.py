"""Per-item work that needs no database: a feed's bytes -> items -> classifications.

    parse (feedparser, cleaning) -> language from the source's settings -> classify

It is pure CPU work on one feed at a time, so the poller runs it in the parser processes:
across cores, and under their hard time limit (a hostile feed that makes a regex crawl costs
one feed). What is left to the main process is the database work. This module imports no
database code, so the worker processes stay small.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Protocol
from urllib.parse import urlsplit

from bot.attribution.classify import Classification, Classifier, Subject
from bot.attribution.registry import Registry
from bot.boards import BoardSnapshot
from bot.items import HubFacts, NewItem
from bot.sources.feeds import ParsedFeed, parse_feed


class _HasSource(Protocol):
    @property
    def url(self) -> str: ...
    @property
    def type(self) -> str: ...
    @property
    def spec(self) -> dict[str, Any]: ...


@dataclass(frozen=True)
class SourceFacts:
    """What classification needs to know of a source (picklable, with no database types)."""

    url: str
    type: str
    repo: str | None = None
    language: str | None = None  # the operator's setting, which beats the feed's markup

    @classmethod
    def of(cls, source: _HasSource) -> SourceFacts:
        repo, language = source.spec.get("repo"), source.spec.get("language")
        return cls(source.url, source.type, repo and str(repo), language and str(language))


class _ItemText(Protocol):
    @property
    def title(self) -> str: ...
    @property
    def summary(self) -> str: ...
    @property
    def url(self) -> str | None: ...
    @property
    def hub(self) -> HubFacts | dict[str, Any] | None: ...


def subject_for(item: _ItemText, source: SourceFacts) -> Subject:
    """What the classifier looks at for one item of one source."""
    hub = HubFacts.from_dict(item.hub) if isinstance(item.hub, dict) else item.hub
    host = (urlsplit(source.url).hostname or "") if source.url.startswith("http") else ""
    return Subject(
        title=item.title,
        summary=item.summary,
        url=item.url,
        source_url=source.url if host else None,
        source_type="arxiv" if host.endswith("arxiv.org") else source.type,
        hub=hub,
        github_repo=source.repo,
    )


@dataclass(frozen=True)
class PreparedFeed:
    """A parsed feed with each item's classification, by guid."""

    feed: ParsedFeed
    classified: Mapping[str, Classification] = field(default_factory=dict)
    board: BoardSnapshot | None = None  # a leaderboard's standings, kept for the gap


_classifier: Classifier | None = None  # one per worker process, built as it starts


def start_worker(registry: Registry) -> None:
    """The parser pool's initializer: build this process's classifier once."""
    global _classifier
    _classifier = Classifier(registry)


def with_language(items: list[NewItem], language: str | None) -> list[NewItem]:
    """Apply the operator's language setting to items not detected as Chinese."""
    if not language:
        return items
    return [i if i.language == "zh" else replace(i, language=language) for i in items]


def prepare_feed(
    body: bytes,
    content_type: str | None,
    url: str,
    fetched_at: datetime,
    source: SourceFacts,
    seen: frozenset[str] = frozenset(),
) -> PreparedFeed:
    """Parse one feed and classify its items (in a worker, whose classifier is used when
    the pool was started with a registry; otherwise the caller classifies).

    Items in ``seen`` (the guids this feed had at its last poll) are almost never new, so
    they are not classified; one that is new after all is classified by the caller."""
    parsed = parse_feed(body, content_type, url, fetched_at)
    parsed = replace(parsed, items=with_language(parsed.items, source.language))
    if _classifier is None:
        return PreparedFeed(parsed)
    return PreparedFeed(
        parsed,
        {
            i.guid: _classifier.classify(subject_for(i, source))
            for i in parsed.items
            if i.guid not in seen
        },
    )
