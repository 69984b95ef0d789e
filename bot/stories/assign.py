"""Whether an item may join a story: pure decisions, and the words ``racewatch why`` shows.

Stories are found by canonical URL, release key or a near-identical headline (see
``bot.store.stories_repo``); each candidate must pass :func:`conflict` first, so two
organisations never share a story, and neither do two releases of one organisation, even
when a leaderboard or a listing page gives their items the same link.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.stories.keys import ReleaseKey, compatible


@dataclass(frozen=True)
class StoryFacts:
    """What a story (or an item about to join one) is about."""

    org: str | None  # root organisation id
    release: str | None  # release key, without the organisation

    @classmethod
    def of(cls, org: str | None, key: ReleaseKey | None) -> StoryFacts:
        return cls(key.org if key else org, key.release if key else None)


def conflict(story: StoryFacts, item: StoryFacts) -> str | None:
    """Why ``item`` cannot join ``story``, or None when nothing they say disagrees."""
    if story.org and item.org and story.org != item.org:
        return f"it is about {item.org}, the story about {story.org}"
    if story.release and item.release and not compatible(story.release, item.release):
        return f"it is release '{item.release}', the story '{story.release}'"
    return None


def new_story_reason(key: ReleaseKey | None, refused: list[str]) -> str:
    """Why an item started a story: what was looked for and not found (or refused)."""
    parts = [
        f"no story of release {key.describe()} in the last 7 days"
        if key
        else "no release key (no family and version of its organisation in the title)",
        "no earlier item with the same link",
        "no headline at least 60% similar from another source in the last 48 hours",
    ]
    return "new story: " + "; ".join(parts) + "".join(f"; not joined: {r}" for r in refused)
