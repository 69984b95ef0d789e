"""The gap chart: weekly releases, China against the US, as a PNG (matplotlib, no display)."""

from __future__ import annotations

import io
from datetime import datetime, timedelta

import matplotlib

matplotlib.use("Agg")  # never a GUI backend: racewatch runs on servers
from matplotlib import dates
from matplotlib import pyplot as plt

COLOURS = {"CN": "#DE2910", "US": "#3C3B6E"}
NAMES = {"CN": "China", "US": "United States"}
SIZE = (8.0, 4.0)
DPI = 100


def weekly_chart(weeks: list[datetime], series: dict[str, list[int]], title: str) -> bytes:
    """A PNG of ``SIZE`` at ``DPI`` (800 x 400 pixels); blocking: call it off the event loop."""
    figure, axes = plt.subplots(figsize=SIZE, dpi=DPI)
    try:
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
        figure.autofmt_xdate()
        figure.tight_layout()
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png", dpi=DPI)
        return buffer.getvalue()
    finally:
        plt.close(figure)


def week_starts(now: datetime, days: int) -> list[datetime]:
    weeks = max(2, days // 7)
    start = now - timedelta(days=7 * weeks)
    return [start + timedelta(days=7 * i) for i in range(weeks)]
