"""Monthly releases by country over the last 12 months, open-weights releases shaded."""

from __future__ import annotations

import functools
import io
from datetime import date
from typing import TYPE_CHECKING

from bot.store.cadence import Cadence, Month

if TYPE_CHECKING:  # matplotlib loads only when a chart is drawn (start-up time)
    from matplotlib.figure import Figure

COLOURS = {"CN": "#DE2910", "US": "#3C3B6E"}
NAMES = {"CN": "China", "US": "United States"}


def cadence_figure(cadence: Cadence, title: str) -> Figure:
    from matplotlib.figure import Figure

    figure = Figure(figsize=(9.0, 4.5), dpi=100)
    figure.subplots_adjust(left=0.08, right=0.98, top=0.88, bottom=0.18)
    axes = figure.add_subplot()
    months = cadence.months
    x = list(range(len(months)))
    width = 0.4
    top = 0
    for offset, country in ((-width / 2, "US"), (width / 2, "CN")):
        totals = [m.releases.get(country, 0) for m in months]
        opened = [m.open_weights.get(country, 0) for m in months]
        top = max([top, *totals])
        positions = [i + offset for i in x]
        axes.bar(
            positions,
            totals,
            width,
            color=COLOURS[country],
            alpha=0.35,
            label=f"{NAMES[country]}: all releases",
        )
        axes.bar(
            positions,
            opened,
            width,
            color=COLOURS[country],
            label=f"{NAMES[country]}: open weights",
        )
    axes.set_xticks(x)
    axes.set_xticklabels(
        [
            f"{m.first:%b}\n{m.first:%Y}" if i == 0 or m.first.month == 1 else f"{m.first:%b}"
            for i, m in enumerate(months)
        ]
    )
    axes.set_ylim(0, max(1, top) * 1.35)  # headroom: the legend sits above the bars
    axes.set_ylabel("releases per month")
    axes.set_title(title, fontsize=11)
    axes.grid(axis="y", alpha=0.3)
    axes.legend(loc="upper left", ncols=2, fontsize=8, frameon=False)
    return figure


def cadence_chart(cadence: Cadence, title: str) -> bytes:
    """A PNG of 900 x 450 pixels; blocking: call it off the event loop.

    The same monthly figures give the same bytes, so recent charts are kept (as the weekly
    chart's are): asking for `gap 365d` again before anything new arrived costs no drawing."""
    bars = tuple(
        (m.first, tuple((c, m.releases.get(c, 0), m.open_weights.get(c, 0)) for c in COLOURS))
        for m in cadence.months
    )
    return _draw(bars, title)


@functools.lru_cache(maxsize=16)
def _draw(bars: tuple[tuple[date, tuple[tuple[str, int, int], ...]], ...], title: str) -> bytes:
    """The chart of ``bars``: each month's first day, and per country all and open releases
    (all that :func:`cadence_figure` shows)."""
    months = tuple(
        Month(first, {c: n for c, n, _o in counts}, {c: o for c, _n, o in counts})
        for first, counts in bars
    )
    buffer = io.BytesIO()
    cadence_figure(Cadence(months), title).savefig(
        buffer, format="png", dpi=100, pil_kwargs={"compress_level": 1}
    )
    return buffer.getvalue()
