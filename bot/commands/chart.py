"""The gap chart: releases per week, China against the US, as a PNG (matplotlib, no display).

Each bar pair is one whole week of seven UTC days, the last ending today; the title states
the first and last day counted, so the bars and the title always describe the same window.
The legend sits above the plot, never on the bars, and the layout engine keeps every label
inside the image. Dates carry the year when the weeks span two years.
"""

from __future__ import annotations

import functools
import io
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # matplotlib loads only when a chart is drawn (start-up time)
    from matplotlib.figure import Figure

COLOURS = {"CN": "#DE2910", "US": "#3C3B6E"}
NAMES = {"CN": "China", "US": "United States"}
SIZE = (8.0, 4.0)
DPI = 100


def chart_title(weeks: list[datetime]) -> str:
    """ "Releases per week, 3 Nov – 30 Nov 2026 (4 weeks)": exactly the days the bars count."""
    first, last = weeks[0], weeks[-1] + timedelta(days=6)
    start = f"{first:%d %b}" if first.year == last.year else f"{first:%d %b %Y}"
    return f"Releases per week, {start} – {last:%d %b %Y} ({len(weeks)} weeks)"


def weekly_chart(weeks: list[datetime], series: dict[str, list[int]], title: str = "") -> bytes:
    """A PNG of ``SIZE`` at ``DPI`` (800 x 400 pixels); ``weeks`` are the first days of whole
    weeks. Blocking: call it off the event loop.

    The same figures give the same bytes, so recent charts are kept: a channel asking for
    the gap again before anything new arrived gets it at once."""
    frozen = tuple(sorted((c, tuple(v)) for c, v in series.items()))
    return _draw(tuple(weeks), frozen, title or chart_title(weeks))


def _labels(weeks: list[datetime]) -> list[str]:
    two_years = weeks[0].year != (weeks[-1] + timedelta(days=6)).year
    return [f"{w:%d %b %Y}" if two_years else f"{w:%d %b}" for w in weeks]


@functools.lru_cache(maxsize=32)
def _draw(
    weeks: tuple[datetime, ...], frozen: tuple[tuple[str, tuple[int, ...]], ...], title: str
) -> bytes:
    figure = draw_figure(list(weeks), {c: list(v) for c, v in frozen}, title)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI, pil_kwargs={"compress_level": 1})
    return buffer.getvalue()


def draw_figure(weeks: list[datetime], series: dict[str, list[int]], title: str) -> Figure:
    """The chart on a bare ``Figure`` (no pyplot, so no GUI backend and no global state)."""
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    figure = Figure(figsize=SIZE, dpi=DPI, layout="constrained")
    axes = figure.add_subplot()
    width = 0.4
    positions = list(range(len(weeks)))
    for shift, country in ((-width / 2, "CN"), (width / 2, "US")):
        values = series.get(country, [0] * len(weeks))
        axes.bar(
            [p + shift for p in positions],
            values,
            width=width,
            color=COLOURS[country],
            label=NAMES[country],
        )
    axes.set_title(title, loc="left", fontsize=11)
    axes.legend(loc="lower right", bbox_to_anchor=(1.0, 1.0), ncol=2, frameon=False, fontsize=9)
    axes.set_ylabel("releases per week")
    axes.grid(axis="y", alpha=0.3)
    axes.set_axisbelow(True)
    axes.set_ylim(bottom=0, top=max([1, *(max(v, default=0) for v in series.values())]) * 1.1)
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    labels = _labels(weeks)
    step = max(1, -(-len(weeks) // 10))  # at most about ten labels
    axes.set_xticks(positions[::step], labels[::step], rotation=30 if step > 1 else 0)
    axes.set_xlim(-0.6, len(weeks) - 0.4)
    axes.set_xlabel("week starting")
    return figure
