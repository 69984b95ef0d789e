"""The capability chart: each side's best leaderboard score over time, the gap shaded, and
policy events (export controls) as markers. A PNG from matplotlib, with no display."""

from __future__ import annotations

import functools
import io
from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING

from bot.gap.capability import CapabilityGap

if TYPE_CHECKING:  # matplotlib loads only when a chart is drawn (start-up time)
    from matplotlib.figure import Figure

COLOURS = {"CN": "#DE2910", "US": "#3C3B6E"}
SIZE = (9.0, 4.5)
DPI = 100


@functools.lru_cache(maxsize=16)
def capability_chart(
    gap: CapabilityGap, title: str, markers: tuple[tuple[date, str], ...] = ()
) -> bytes:
    """A PNG of 900 x 450 pixels; blocking: call it off the event loop.

    The same figures give the same bytes, so recent charts are kept (the arguments are
    frozen): a channel asking again before a new board arrives gets it at once."""
    figure = capability_figure(gap, title, markers)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI, pil_kwargs={"compress_level": 1})
    return buffer.getvalue()


def capability_figure(
    gap: CapabilityGap, title: str, markers: Sequence[tuple[date, str]] = ()
) -> Figure:
    """The chart as a matplotlib figure (what the PNG is drawn from)."""
    from matplotlib import dates
    from matplotlib.figure import Figure

    days = [d.day for d in gap.series]
    x = dates.date2num(days)  # type: ignore[no-untyped-call]
    us = [d.us.score for d in gap.series]
    cn = [d.cn.score for d in gap.series]
    figure = Figure(figsize=SIZE, dpi=DPI)
    figure.subplots_adjust(left=0.09, right=0.98, top=0.88, bottom=0.2)
    axes = figure.add_subplot()
    axes.plot(x, us, color=COLOURS["US"], linewidth=2, label="best US model")
    axes.plot(x, cn, color=COLOURS["CN"], linewidth=2, label="best Chinese model")
    axes.fill_between(x, us, cn, color="#999999", alpha=0.25, label="the gap")
    low, high = min(us + cn), max(us + cn)
    pad = max(5.0, (high - low) * 0.12)
    axes.set_ylim(low - pad, high + pad * 2.2)  # headroom: the legend sits above the data
    shown = [(d, label) for d, label in markers if days and days[0] <= d <= days[-1]]
    for when, _label in shown:
        axes.axvline(dates.date2num(when), color="#B8860B", linestyle=":", linewidth=1.2)  # type: ignore[no-untyped-call]
    if shown:
        axes.plot([], [], color="#B8860B", linestyle=":", label="export-control news")
    axes.set_title(title, fontsize=11)
    axes.set_ylabel("arena score (best model)")
    axes.grid(alpha=0.3)
    axes.legend(loc="upper left", ncols=4, fontsize=8, frameon=False)
    long_span = len(days) > 1 and (days[-1] - days[0]).days > 120
    locator = dates.AutoDateLocator(maxticks=8)  # type: ignore[no-untyped-call]
    axes.xaxis.set_major_locator(locator)
    axes.xaxis.set_major_formatter(
        dates.DateFormatter("%b %Y" if long_span else "%d %b %Y")  # type: ignore[no-untyped-call]
    )
    for label in axes.get_xticklabels():
        label.set_rotation(30)
        label.set_horizontalalignment("right")
    return figure
