"""The gap chart as people see it: the legend never covers a bar, no label is cut off, dates
carry years across a new year, and the title states exactly the whole weeks the bars count."""

from __future__ import annotations

import io
import itertools
from datetime import UTC, datetime, timedelta

import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.text import Text
from PIL import Image

from bot.commands.chart import chart_title, draw_figure, weekly_chart
from bot.runtime.app import App
from bot.store import stats
from tests.test_commands import app

__all__ = ["app"]  # the fixture, shared with test_commands


def weeks_from(first: datetime, n: int) -> list[datetime]:
    return [first + timedelta(days=7 * i) for i in range(n)]


@pytest.mark.parametrize(
    "weeks",
    [
        weeks_from(datetime(2026, 11, 3, tzinfo=UTC), 2),
        weeks_from(datetime(2026, 11, 3, tzinfo=UTC), 4),
        weeks_from(datetime(2025, 11, 1, tzinfo=UTC), 13),
        weeks_from(datetime(2025, 11, 30, tzinfo=UTC), 52),
    ],
)
def test_legend_and_labels_stay_clear_and_inside(weeks: list[datetime]) -> None:
    tall = [160] * len(weeks)  # bars up to the top, where a legend inside would sit
    figure = draw_figure(weeks, {"CN": tall, "US": list(tall)}, chart_title(weeks))
    canvas = FigureCanvasAgg(figure)
    canvas.draw()
    renderer = canvas.get_renderer()
    [axes] = figure.axes
    plot = axes.get_window_extent(renderer)
    legend = axes.get_legend().get_window_extent(renderer)
    assert legend.y0 >= plot.y1 - 1  # above the bars, never on them
    width, height = figure.bbox.width, figure.bbox.height
    texts = [t for t in figure.findobj(Text) if t.get_visible() and t.get_text()]
    assert any("Releases per week" in t.get_text() for t in texts)
    for text in texts:
        box = text.get_window_extent(renderer)
        assert box.x0 >= 0 and box.y0 >= 0, text.get_text()
        assert box.x1 <= width and box.y1 <= height, text.get_text()
    labels = [t.get_text() for t in axes.get_xticklabels()]
    spans_two_years = weeks[0].year != (weeks[-1] + timedelta(days=6)).year
    assert all(("20" in label) == spans_two_years for label in labels), labels
    png = weekly_chart(weeks, {"CN": tall, "US": tall})
    assert Image.open(io.BytesIO(png)).size == (800, 400)


def test_the_title_names_the_whole_weeks_counted() -> None:
    weeks = weeks_from(datetime(2025, 12, 15, tzinfo=UTC), 4)
    assert chart_title(weeks) == "Releases per week, 15 Dec 2025 – 11 Jan 2026 (4 weeks)"


async def test_the_weeks_end_today_and_cover_the_window(app: App) -> None:
    assert app.sessions is not None
    now = datetime.now(UTC)
    with app.sessions.begin() as session:
        for days, count in ((7, 2), (30, 4), (90, 12), (365, 52)):
            weeks, series = stats.weekly(session, now, days)
            assert len(weeks) == count and all(len(v) == count for v in series.values())
            assert all(b - a == timedelta(days=7) for a, b in itertools.pairwise(weeks))
            assert chart_title(weeks).endswith(f"{now:%d %b %Y} ({count} weeks)")
