"""The gap chart: weekly releases, China against the US, as a PNG (matplotlib, no display)."""

from __future__ import annotations

import functools
import io
from datetime import datetime, timedelta

from matplotlib import dates
from matplotlib.figure import Figure

COLOURS = {"CN": "#DE2910", "US": "#3C3B6E"}
NAMES = {"CN": "China", "US": "United States"}
SIZE = (8.0, 4.0)
DPI = 100


def weekly_chart(weeks: list[datetime], series: dict[str, list[int]], title: str) -> bytes:
    """A PNG of ``SIZE`` at ``DPI`` (800 x 400 pixels); blocking: call it off the event loop.

    The same figures give the same bytes, so recent charts are kept: a channel asking for
    the gap again before anything new arrived gets it at once."""
    frozen = tuple(sorted((c, tuple(v)) for c, v in series.items()))
    return _draw(tuple(weeks), frozen, title)


@functools.lru_cache(maxsize=32)
def _draw(
    weeks: tuple[datetime, ...], frozen: tuple[tuple[str, tuple[int, ...]], ...], title: str
) -> bytes:
    """Drawn on a bare ``Figure`` (no pyplot, so no GUI backend and no global state) with
    fixed margins: an automatic layout would draw the chart twice."""
    series = {c: list(v) for c, v in frozen}
    figure = Figure(figsize=SIZE, dpi=DPI)
    figure.subplots_adjust(left=0.08, right=0.98, top=0.9, bottom=0.1)
    axes = figure.add_subplot()
    for country in ("CN", "US"):
        values = series.get(country, [0] * len(weeks))
        axes.plot(
            dates.date2num(weeks),  # type: ignore[no-untyped-call]
            values,
            marker="o",
            linewidth=2,
            color=COLOURS[country],
            label=NAMES[country],
        )
    axes.set_title(title)
    axes.set_ylabel("releases per week")
    axes.grid(alpha=0.3)
    axes.legend(loc="upper left")
    axes.set_ylim(bottom=0)
    axes.xaxis.set_major_formatter(dates.DateFormatter("%d %b"))  # type: ignore[no-untyped-call]
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI, pil_kwargs={"compress_level": 1})
    return buffer.getvalue()


def week_starts(now: datetime, days: int) -> list[datetime]:
    weeks = max(2, days // 7)
    start = now - timedelta(days=7 * weeks)
    return [start + timedelta(days=7 * i) for i in range(weeks)]
