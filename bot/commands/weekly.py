"""Composes the weekly state-of-the-race post: the capability gap per arena and its change
over the week, releases by country, the notable releases, policy news, and one chart."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from bot.alerts.report import RaceReport, ReportLine
from bot.attribution.vocab import flag
from bot.boards import arena_title
from bot.commands import capability
from bot.commands.capability_chart import capability_chart
from bot.commands.chart import weekly_chart
from bot.gap.capability import NAMES, GapDay, capability_gap
from bot.store import boards_repo, queries, stats

WEEK = timedelta(days=7)


def _gap_line(arena: str, latest: GapDay, week_ago: GapDay | None) -> str:
    lead = latest.us if latest.leader == "US" else latest.cn
    trail = latest.cn if latest.leader == "US" else latest.us
    text = (
        f"{arena_title(arena)}: {NAMES[latest.leader]} leads by {abs(latest.points):.0f} points "
        f"({lead.model} {lead.score:.0f} against {trail.model} {trail.score:.0f})"
    )
    if week_ago is None:
        return text + "; no board a week earlier to compare."
    if week_ago.leader != latest.leader:
        return text + f"; the lead changed hands this week ({NAMES[week_ago.leader]} led)."
    change = abs(latest.points) - abs(week_ago.points)
    moved = "narrowed" if change < 0 else "widened" if change > 0 else "held"
    return text + f"; {moved} by {abs(change):.0f} this week."


def capability_section(session: Session, now: datetime) -> list[ReportLine]:
    today = now.date()
    lines = []
    spans = boards_repo.arenas(session)
    for span in spans:
        series = capability_gap(
            span.arena, boards_repo.best_series(session, span.arena, today - 4 * WEEK)
        ).series
        if not series:
            continue
        latest = series[-1]
        earlier = [d for d in series if d.day <= latest.day - WEEK]
        lines.append(ReportLine(_gap_line(span.arena, latest, earlier[-1] if earlier else None)))
    if lines:
        return lines
    if spans:
        last = max(span.last for span in spans)
        return [ReportLine(f"No leaderboard boards in the last four weeks (latest: {last}).")]
    return [ReportLine("No leaderboard boards stored yet.")]


def compose(
    session: Session, now: datetime, name_of: Callable[[str], str], chart: bool = True
) -> RaceReport:
    """The post for the week ending ``now``. Reads a few small queries; draws one chart."""
    board = stats.scoreboard(session, now, 7)
    releases = [
        ReportLine(
            f"{flag(line.country) if line.country != 'other' else '🌐'} {line.country}: "
            f"{line.releases} releases ({line.releases - line.previous:+d} on the week before), "
            f"{line.open_weights} with open weights"
            + (
                "; leading: " + ", ".join(f"{name_of(o)} {n}" for o, n in line.top_orgs)
                if line.top_orgs
                else ""
            )
        )
        for line in board.lines
    ]
    since = now - WEEK

    def recent(kind: str, n: int) -> list[ReportLine]:
        rows = queries.latest(session, kind=kind, limit=n * 3)
        return [
            ReportLine(f"{flag(r.country)} {r.title}", r.url)
            for r in rows
            if r.published_at >= since
        ][:n]

    notable = recent("model_release", 8) or [ReportLine("No model releases this week.")]
    policy = recent("policy", 5) or [ReportLine("No policy news this week.")]
    week = f"{since:%d %b} – {now:%d %b %Y}"
    image = None
    if chart:
        image = _chart(session, now)
    return RaceReport(
        key=f"state-of-the-race:{now:%G-W%V}",
        title=f"State of the race, week of {week}",
        sections=(
            (
                "Capability gap (LMArena, best US model against best Chinese model)",
                tuple(capability_section(session, now)),
            ),
            ("Releases this week (stories, derivatives excluded)", tuple(releases)),
            ("Notable releases", tuple(notable)),
            ("Policy", tuple(policy)),
        ),
        created_at=now,
        image=image,
    )


def _chart(session: Session, now: datetime) -> bytes:
    """The text arena's capability chart over 90 days, or the weekly releases chart when
    no boards are stored."""
    query = capability.CapabilityQuery.parse("text", "90d")
    answer = capability.load(session, query, now.date())
    if len(answer.gap.series) >= 2:
        return capability_chart(answer.gap, answer.title, answer.markers)
    weeks, series = stats.weekly(session, now, 84)
    return weekly_chart(weeks, series)
