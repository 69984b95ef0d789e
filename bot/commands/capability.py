"""``gap capability``: the capability gap on one arena over a window, for chat and the CLI.

The answer is the same everywhere: the latest standing (each side's best model and score,
the gap in points and %), its change over the window, who held the lead and when it
changed hands, how long since China's best was within reach, and a chart.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy.orm import Session

from bot.boards import arena_title
from bot.errors import UserError
from bot.gap.capability import CN, NAMES, US, CapabilityGap, GapDay, capability_gap
from bot.store import boards_repo

# what users type -> the arena racewatch stores
ARENA_WORDS = {
    "text": "text",
    "chat": "text",
    "vision": "vision",
    "image": "image",
    "text-to-image": "image",
    "video": "video",
    "text-to-video": "video",
    "image-to-video": "image-to-video",
    "webdev": "webdev",
    "code": "webdev",
    "search": "search",
    "document": "document",
    "image-edit": "image-edit",
    "video-edit": "video-edit",
}
WINDOWS = {"30d": 30, "90d": 90, "180d": 180, "1y": 365, "365d": 365, "2y": 730, "all": None}


@dataclass(frozen=True)
class CapabilityQuery:
    arena: str = "text"
    window: str = "90d"
    within: float = 20.0

    @classmethod
    def parse(cls, arena: str | None, window: str | None, within: float = 20.0) -> CapabilityQuery:
        """Checks the words a user typed; a mistake names the choices."""
        word = (arena or "text").strip().lower()
        if word not in ARENA_WORDS:
            raise UserError(
                f"'{word[:30]}' is not an arena. Choose one of: "
                "text, vision, image, video, webdev (also image-to-video, search, document)."
            )
        span = (window or "90d").strip().lower()
        if span not in WINDOWS:
            raise UserError(f"'{span[:20]}' is not a window. Choose 90d, 1y or all.")
        return cls(ARENA_WORDS[word], span, within)

    def since(self, today: date) -> date | None:
        days = WINDOWS[self.window]
        return None if days is None else today - timedelta(days=days - 1)


@dataclass(frozen=True)
class CapabilityAnswer:
    query: CapabilityQuery
    gap: CapabilityGap
    markers: tuple[tuple[date, str], ...]
    arenas: tuple[str, ...]  # arenas with data, for "try another" hints
    older: date | None = None  # the newest board of this arena before the window

    @property
    def title(self) -> str:
        label = "all history" if self.query.window == "all" else f"last {self.query.window}"
        series = self.gap.series
        if not series:
            return f"Capability gap, {arena_title(self.query.arena)}, {label}"
        return (
            f"Capability gap, {arena_title(self.query.arena)}, {label} "
            f"({_day(series[0].day)} – {_day(series[-1].day)})"
        )


def _day(day: date) -> str:
    return f"{day.day} {day:%b %Y}"


def load(session: Session, query: CapabilityQuery, today: date) -> CapabilityAnswer:
    """Everything the answer needs, in one short read (a few hundred rows per arena)."""
    everything = boards_repo.best_series(session, query.arena)
    since = query.since(today)
    window = [b for b in everything if since is None or b.day >= since]
    history = [b for b in everything if since is not None and b.day < since]
    gap = capability_gap(query.arena, window, within=query.within, history=history)
    first = gap.series[0].day if gap.series else today
    markers = tuple(boards_repo.policy_markers(session, first))
    arenas = tuple(a.arena for a in boards_repo.arenas(session))
    older = history[-1].day if history else None
    return CapabilityAnswer(query, gap, markers, arenas, older)


def _side(day: GapDay, country: str) -> str:
    best = day.us if country == US else day.cn
    interval = ""
    if best.lower is not None and best.upper is not None:
        interval = f" (95 % CI {best.lower:.0f}–{best.upper:.0f})"
    return f"{best.model} {best.score:.0f}{interval}"


def lines(answer: CapabilityAnswer) -> list[str]:
    """The answer as plain lines, the same for every platform and the terminal."""
    gap = answer.gap
    latest = gap.latest
    if latest is None:
        others = ", ".join(a for a in answer.arenas if a != answer.query.arena)
        hint = f" Arenas with data: {others}." if others else ""
        if answer.older is not None:
            hint = (
                f" Its newest board is from {_day(answer.older)}, before this window: the "
                f"window `all` shows it.{hint}"
            )
        return [
            f"No leaderboard data yet for the {arena_title(answer.query.arena)} in this window: "
            "racewatch records a board each time it polls LMArena, and "
            f"`racewatch leaderboard import` backfills history.{hint}"
        ]
    leader = NAMES[latest.leader]
    out = [
        f"On {_day(latest.day)}: best US model {_side(latest, US)}; "
        f"best Chinese model {_side(latest, CN)}.",
        f"{leader[0].upper() + leader[1:]} leads by {abs(latest.points):.0f} points "
        f"({latest.percent:.1f} % of the trailing score)" + ".",
    ]
    if gap.change is not None and gap.first is not None:
        moved = "narrowed" if gap.change < 0 else "widened" if gap.change > 0 else "held"
        out.append(
            f"Over the window the gap {moved}: {abs(gap.first.points):.0f} → "
            f"{abs(latest.points):.0f} points ({gap.change:+.0f})."
        )
    if gap.days_since_within == 0:
        out.append(f"China's best is within {gap.within:g} points of the US best on this board.")
    elif gap.days_since_within is not None:
        when = latest.day - timedelta(days=gap.days_since_within)
        out.append(
            f"China's best was last within {gap.within:g} points on {_day(when)}, "
            f"{gap.days_since_within} days before this board."
        )
    else:
        out.append(f"China's best has not been within {gap.within:g} points in the history kept.")
    if gap.days_since_overlap == 0:
        out.append("The confidence intervals overlap on this board.")
    elif gap.days_since_overlap is not None:
        when = latest.day - timedelta(days=gap.days_since_overlap)
        out.append(
            f"The confidence intervals last overlapped on {_day(when)}, "
            f"{gap.days_since_overlap} days before this board."
        )
    for change in gap.lead_changes[-5:]:
        out.append(
            f"Lead change on {_day(change.day)}: {NAMES[change.leader]} ahead with "
            f"{change.model} (+{change.points:.0f})."
        )
    if not gap.lead_changes:
        out.append(f"No lead change in the window; {leader} led throughout.")
    out.append(
        f"{len(gap.series)} days of boards in the window; source: LMArena "
        "(lmarena-ai/leaderboard-dataset, CC BY 4.0)."
    )
    return out


def _best_json(day: GapDay, country: str) -> dict[str, object]:
    best = day.us if country == US else day.cn
    return {
        "model": best.model,
        "org": best.org,
        "score": best.score,
        "ci_lower": best.lower,
        "ci_upper": best.upper,
    }


def as_json(answer: CapabilityAnswer) -> dict[str, object]:
    """A stable shape for scripts: the latest standing, the figures, and the daily series."""
    gap = answer.gap
    latest = gap.latest
    return {
        "arena": answer.query.arena,
        "window": answer.query.window,
        "within_points": gap.within,
        "latest": None
        if latest is None
        else {
            "day": latest.day.isoformat(),
            "leader": latest.leader,
            "gap_points": latest.points,
            "gap_percent": round(latest.percent, 3),
            "intervals_overlap": latest.overlapping,
            "US": _best_json(latest, US),
            "CN": _best_json(latest, CN),
        },
        "change_points": gap.change,
        "days_since_within": gap.days_since_within,
        "days_since_overlap": gap.days_since_overlap,
        "lead_changes": [
            {"day": c.day.isoformat(), "leader": c.leader, "model": c.model, "points": c.points}
            for c in gap.lead_changes
        ],
        "series": [
            {
                "day": d.day.isoformat(),
                "US": d.us.score,
                "CN": d.cn.score,
                "gap_points": d.points,
                "US_model": d.us.model,
                "CN_model": d.cn.model,
            }
            for d in gap.series
        ],
    }
