"""The capability gap: the best US model's leaderboard score against the best Chinese model's.

This is how the Stanford AI Index measures the race (the Chatbot Arena score of the best US
model minus that of the best Chinese model). Everything here is pure: it takes each day's
best entry per country for one arena, as the store keeps them, and answers the questions
analysts ask: how wide is the gap now, how has it moved over the window, who holds each
side, when did the lead change hands, and how long since China was within reach.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

US, CN = "US", "CN"
NAMES = {US: "the US", CN: "China"}


@dataclass(frozen=True)
class Best:
    """One country's best entry on one arena's leaderboard of one day."""

    day: date
    country: str
    model: str
    score: float
    lower: float | None = None  # the 95 % confidence interval, when the board gives it
    upper: float | None = None
    org: str | None = None


@dataclass(frozen=True)
class GapDay:
    """Both sides' best on one day. ``points`` is positive while the US leads."""

    day: date
    us: Best
    cn: Best

    @property
    def points(self) -> float:
        return self.us.score - self.cn.score

    @property
    def percent(self) -> float:
        """The gap as a share of the trailing side's score (AI Index style: 9.3 % in Jan 2024)."""
        trailing = min(self.us.score, self.cn.score)
        return abs(self.points) / trailing * 100 if trailing > 0 else 0.0

    @property
    def leader(self) -> str:
        return US if self.points >= 0 else CN

    @property
    def overlapping(self) -> bool:
        """The confidence intervals overlap: the board cannot tell the two apart."""
        ahead, behind = (self.us, self.cn) if self.points >= 0 else (self.cn, self.us)
        if ahead.lower is None or behind.upper is None:
            return False
        return behind.upper >= ahead.lower


@dataclass(frozen=True)
class LeadChange:
    day: date
    leader: str  # the country that took the lead
    model: str
    points: float  # its margin that day, positive


@dataclass(frozen=True)
class CapabilityGap:
    """One arena over one window: the series, and the figures drawn from it."""

    arena: str
    series: tuple[GapDay, ...]
    within: float  # the "within reach" margin, in points
    days_since_within: int | None  # since China's best was within ``within`` points (0: now)
    days_since_overlap: int | None  # since the confidence intervals last overlapped
    lead_changes: tuple[LeadChange, ...]

    @property
    def latest(self) -> GapDay | None:
        return self.series[-1] if self.series else None

    @property
    def first(self) -> GapDay | None:
        return self.series[0] if self.series else None

    @property
    def change(self) -> float | None:
        """How the gap in points moved over the window (negative: it narrowed)."""
        if len(self.series) < 2:
            return None
        return abs(self.series[-1].points) - abs(self.series[0].points)


def pair_days(bests: Iterable[Best]) -> list[GapDay]:
    """Days on which both sides have an entry, oldest first."""
    by_day: dict[date, dict[str, Best]] = {}
    for best in bests:
        by_day.setdefault(best.day, {})[best.country] = best
    return [
        GapDay(day, sides[US], sides[CN])
        for day, sides in sorted(by_day.items())
        if US in sides and CN in sides
    ]


def lead_changes(series: Sequence[GapDay]) -> list[LeadChange]:
    """Each day the leading country differs from the day before."""
    changes = []
    for before, after in itertools.pairwise(series):
        if after.leader != before.leader:
            side = after.us if after.leader == US else after.cn
            changes.append(LeadChange(after.day, after.leader, side.model, abs(after.points)))
    return changes


def _days_since(series: Sequence[GapDay], holds: bool | list[bool]) -> int | None:
    flags = holds if isinstance(holds, list) else [holds] * len(series)
    for day, flag in zip(reversed(series), reversed(flags), strict=True):
        if flag:
            return (series[-1].day - day.day).days
    return None


def capability_gap(
    arena: str, bests: Iterable[Best], *, within: float = 20.0, history: Iterable[Best] = ()
) -> CapabilityGap:
    """The gap over the window of ``bests``.

    ``history`` (older days than the window, optional) lets "days since China was within N
    points" reach further back than the window shown; lead changes are counted in the
    window only, including one on its first day when the day before is in ``history``.
    """
    series = pair_days(bests)
    before = pair_days(history)
    everything = [d for d in before if not series or d.day < series[0].day] + series
    within_flags = [d.leader == CN or abs(d.points) <= within for d in everything]
    overlap_flags = [d.leader == CN or d.overlapping for d in everything]
    changes = lead_changes(everything[-len(series) - 1 :] if series else [])
    return CapabilityGap(
        arena=arena,
        series=tuple(series),
        within=within,
        days_since_within=_days_since(everything, within_flags) if everything else None,
        days_since_overlap=_days_since(everything, overlap_flags) if everything else None,
        lead_changes=tuple(c for c in changes if series and c.day >= series[0].day),
    )


@dataclass(frozen=True)
class GapEvent:
    """Something worth an alert, seen when a new day's board arrives."""

    key: str  # stable: the same change never alerts twice
    title: str
    summary: str


def events(
    arena: str, board: str, before: GapDay | None, now: GapDay, thresholds: Sequence[float]
) -> list[GapEvent]:
    """Alerts for a new day: the lead changing hands, the gap crossing a threshold."""
    if before is None:
        return []
    out = []
    day = now.day.isoformat()
    lead = now.us if now.leader == US else now.cn
    trail = now.cn if now.leader == US else now.us
    standing = (
        f"{lead.model} ({NAMES[now.leader]}) {lead.score:.0f} against "
        f"{trail.model} ({NAMES[CN if now.leader == US else US]}) {trail.score:.0f}, "
        f"a gap of {abs(now.points):.0f} points ({now.percent:.1f} %) on the {board} "
        f"of {day}."
    )
    if now.leader != before.leader:
        verb = "takes" if now.leader == CN else "retakes"
        out.append(
            GapEvent(
                f"gap:{arena}:lead:{day}:{now.leader}",
                f"{NAMES[now.leader].capitalize()} {verb} the lead on the {board}, "
                f"by {abs(now.points):.0f} points",
                standing,
            )
        )
    old, new = abs(before.points), abs(now.points)
    if before.leader == now.leader == US:
        crossed_down = [t for t in thresholds if old > t >= new]
        crossed_up = [t for t in thresholds if old <= t < new]
        if crossed_down:
            limit = min(crossed_down)
            out.append(
                GapEvent(
                    f"gap:{arena}:below:{limit:g}:{day}",
                    f"The US-China gap on the {board} narrows to {new:.0f} points "
                    f"(below {limit:g})",
                    standing,
                )
            )
        elif crossed_up:
            limit = max(crossed_up)
            out.append(
                GapEvent(
                    f"gap:{arena}:above:{limit:g}:{day}",
                    f"The US-China gap on the {board} widens to {new:.0f} points (above {limit:g})",
                    standing,
                )
            )
    return out
