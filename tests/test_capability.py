"""The capability gap: figures against a hand count, import, alerts on a lead change, chart."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from bot.boards import BoardRow, BoardSnapshot, arena_of
from bot.cli import cli, gap_cmd, info  # noqa: F401  (the modules register their commands)
from bot.commands import capability
from bot.commands.capability_chart import capability_figure
from bot.config.loader import load_config
from bot.errors import UserError
from bot.gap.capability import CN, US, Best, capability_gap, events, pair_days
from bot.runtime.app import start_app
from bot.sources.board_files import BoardFileError, read_board_file
from bot.store import boards_repo
from bot.store.db import open_store
from tests.conftest import LocalServer

D = date.fromisoformat


def best(day: str, country: str, model: str, score: float, ci: float = 5.0) -> Best:
    return Best(D(day), country, model, score, score - ci, score + ci)


HISTORY = [
    best("2025-01-06", US, "gemini-exp-1206", 1373),
    best("2025-01-06", CN, "deepseek-v3", 1318),
    best("2025-01-13", US, "gemini-exp-1206", 1374),  # no Chinese entry: not a gap day
    best("2025-01-27", US, "gemini-2.0-flash-thinking", 1382),
    best("2025-01-27", CN, "deepseek-r1", 1365, ci=10),
    best("2025-02-03", US, "gemini-2.0-flash-thinking", 1381),
    best("2025-02-03", CN, "kling-text", 1390),
    best("2025-02-10", US, "grok-3", 1402),
    best("2025-02-10", CN, "kling-text", 1391),
]


def test_gap_figures_match_a_hand_count() -> None:
    gap = capability_gap("text", HISTORY, within=20)
    assert [d.day for d in gap.series] == [
        D("2025-01-06"),
        D("2025-01-27"),
        D("2025-02-03"),
        D("2025-02-10"),
    ]
    assert [d.points for d in gap.series] == [55, 17, -9, 11]
    assert [d.leader for d in gap.series] == [US, US, CN, US]
    # hand count: 55 / 1318 of the trailing (Chinese) score
    assert gap.series[0].percent == pytest.approx(55 / 1318 * 100)
    assert [(c.day, c.leader, c.model) for c in gap.lead_changes] == [
        (D("2025-02-03"), CN, "kling-text"),
        (D("2025-02-10"), US, "grok-3"),
    ]
    assert gap.change == 11 - 55
    assert gap.days_since_within == 0  # 11 points on the last board
    # intervals: 1402-5 = 1397 against 1391+5 = 1396: apart today; 27 Jan 1377 <= 1375? no
    assert gap.days_since_overlap == 7  # 3 Feb, when China led
    assert not gap.series[-1].overlapping and gap.series[1].overlapping is False


def test_days_since_within_reaches_back_before_the_window() -> None:
    history = [best("2025-01-06", US, "a", 1400), best("2025-01-06", CN, "b", 1395)]
    window = [best("2025-03-03", US, "a", 1450), best("2025-03-03", CN, "b", 1400)]
    gap = capability_gap("text", window, within=10, history=history)
    assert gap.days_since_within == (D("2025-03-03") - D("2025-01-06")).days
    assert gap.lead_changes == ()


def test_events_lead_change_and_threshold_crossing() -> None:
    days = pair_days(HISTORY)
    # 55 -> 17 points, both US-led: crosses 50 and 25; the smallest crossed is reported
    narrowing = events("text", "LMArena text arena", days[0], days[1], [10, 25, 50])
    assert [e.key for e in narrowing] == ["gap:text:below:25:2025-01-27"]
    assert "narrows to 17 points" in narrowing[0].title
    lead = events("text", "LMArena text arena", days[1], days[2], [10, 25, 50])
    assert [e.key for e in lead] == ["gap:text:lead:2025-02-03:CN"]
    assert lead[0].title == "China takes the lead on the LMArena text arena, by 9 points"
    assert events("text", "board", None, days[0], [10]) == []
    wider = events("text", "board", days[1], days[0], [10, 25, 50])
    assert [e.key for e in wider] == ["gap:text:above:50:2025-01-06"]


def test_arena_names_follow_lmarena_configs() -> None:
    assert arena_of("text_style_control") == "text"
    assert arena_of("text_to_video") == "video"
    assert arena_of("image-to-video") == "image-to-video"
    assert capability.CapabilityQuery.parse("Video", "1y").arena == "video"
    with pytest.raises(UserError, match="not an arena"):
        capability.CapabilityQuery.parse("audio", "1y")
    with pytest.raises(UserError, match="not a window"):
        capability.CapabilityQuery.parse("text", "7 weeks")


CSV = """model_name,organization,rating,rating_lower,rating_upper,vote_count,rank,category,leaderboard_publish_date
gemini-2.5-pro,Google,1460.2,1455.0,1465.1,40000,1,overall,2025-06-09
deepseek-r1-0528,DeepSeek,1418.0,1410.0,1426.0,9000,5,overall,2025-06-09
mistral-medium,Mistral,1390.0,1385.0,1395.0,9000,9,overall,2025-06-09
deepseek-r1-0528,DeepSeek,1399.0,1390.0,1408.0,9000,5,coding,2025-06-09
gemini-2.5-pro,Google,1461.0,1456.0,1466.0,42000,1,overall,2025-06-16
qwen3-235b-a22b,Alibaba,1470.0,1460.0,1480.0,8000,1,overall,2025-06-16
"""


@pytest.fixture
def store_config(write_config: Callable[[dict[str, Any]], Path]) -> Path:
    return write_config({})


def test_history_files_in_every_published_shape(tmp_path: Path) -> None:
    table = tmp_path / "leaderboard_table_20240403.csv"  # the old tables: date in the name
    table.write_text(
        "Model,Arena Score,95% CI,Votes,Organization\n\"<a href='x'>GPT-4-Turbo</a>\",1258,+3/-4,50000,OpenAI\n"
        "Qwen1.5-72B-Chat,1149,+4/-5,20000,Alibaba\n",
        encoding="utf-8",
    )
    [snap] = read_board_file(table)
    assert (snap.arena, snap.day) == ("text", D("2024-04-03"))
    gpt = snap.rows[0]
    assert (gpt.model, gpt.score, gpt.lower, gpt.upper, gpt.votes) == (
        "GPT-4-Turbo",
        1258,
        1254,
        1261,
        50000,
    )
    rows = tmp_path / "vision.json"  # the datasets-server answer the live source reads
    rows.write_text(
        json.dumps(
            {
                "rows": [
                    {
                        "row": {
                            "model_name": "glm-4.5v",
                            "rating": 1200,
                            "organization": "Zhipu",
                            "leaderboard_publish_date": "2025-08-11",
                            "category": "overall",
                        }
                    }
                ]
            }
        ),
        encoding="utf-8",
    )
    [vision] = read_board_file(rows, arena="vision")
    assert (vision.arena, vision.day, vision.rows[0].model) == (
        "vision",
        D("2025-08-11"),
        "glm-4.5v",
    )
    video = tmp_path / "lmarena_text_to_video.jsonl"
    video.write_text(
        json.dumps({"model_name": "veo3", "rating": 1185, "date": "2025-06-02"}) + "\n"
    )
    assert read_board_file(video)[0].arena == "video"


def test_bad_history_files_name_the_problem(tmp_path: Path) -> None:
    nodate = tmp_path / "board.csv"
    nodate.write_text("model_name,rating\nx,1200\n", encoding="utf-8")
    with pytest.raises(BoardFileError, match=r"board.csv:2: no publish date"):
        read_board_file(nodate)
    nocol = tmp_path / "scores.csv"
    nocol.write_text("name,points\nx,1200\n", encoding="utf-8")
    with pytest.raises(BoardFileError, match="no score column"):
        read_board_file(nocol)
    broken = tmp_path / "rows.json"
    broken.write_text('{"rows": [', encoding="utf-8")
    with pytest.raises(BoardFileError, match="not valid JSON"):
        read_board_file(broken)


def test_import_is_idempotent_and_feeds_the_gap(tmp_path: Path, store_config: Path) -> None:
    history = tmp_path / "text.csv"
    history.write_text(CSV, encoding="utf-8")
    bad = tmp_path / "bad.csv"
    bad.write_text("nothing,here\n1,2\n", encoding="utf-8")
    runner = CliRunner()
    first = runner.invoke(cli, ["-c", str(store_config), "leaderboard", "import", str(history)])
    assert first.exit_code == 0, first.output
    assert "2 boards stored, 0 already up to date" in first.output
    again = runner.invoke(
        cli, ["-c", str(store_config), "leaderboard", "import", str(history), str(bad)]
    )
    assert "0 boards stored, 2 already up to date, 1 file refused" in again.output
    assert again.exit_code == 1 and "bad.csv: no model or score column" in again.output
    config = load_config(store_config, env={})
    _engine, sessions = open_store(config.database_url)
    with sessions.begin() as session:
        series = boards_repo.best_series(session, "text")
        entries = session.execute(boards_repo.select(boards_repo.BoardEntry)).scalars().all()
    assert len(entries) == 5  # the "coding" category line is not the overall board
    assert [(b.day, b.country, b.model, b.score) for b in series] == [
        (D("2025-06-09"), "CN", "deepseek-r1-0528", 1418.0),
        (D("2025-06-09"), "US", "gemini-2.5-pro", 1460.2),
        (D("2025-06-16"), "CN", "qwen3-235b-a22b", 1470.0),
        (D("2025-06-16"), "US", "gemini-2.5-pro", 1461.0),
    ]
    shown = runner.invoke(
        cli, ["-c", str(store_config), "gap", "--capability", "text", "--window", "all", "--json"]
    )
    assert shown.exit_code == 0, shown.output
    doc = json.loads(shown.output)
    assert doc["latest"]["leader"] == "CN" and doc["latest"]["gap_points"] == pytest.approx(-9.0)
    assert doc["lead_changes"] == [
        {"day": "2025-06-16", "leader": "CN", "model": "qwen3-235b-a22b", "points": 9.0}
    ]
    text = runner.invoke(
        cli,
        [
            "-c",
            str(store_config),
            "gap",
            "--capability",
            "text",
            "--window",
            "all",
            "--chart",
            str(tmp_path / "gap.png"),
        ],
    )
    assert "China leads by 9 points" in text.output
    assert (tmp_path / "gap.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    no_chart = tmp_path / "video.png"
    empty = runner.invoke(
        cli, ["-c", str(store_config), "gap", "--capability", "video", "--chart", str(no_chart)]
    )
    assert "No leaderboard data yet for the LMArena text-to-video arena" in empty.output
    assert "Arenas with data: text" in empty.output
    assert f"no chart written to {no_chart}: no boards in this window" in empty.output
    assert not no_chart.exists()
    # the text arena has boards, only older than the default 90 days: say so, and how
    old = runner.invoke(cli, ["-c", str(store_config), "gap", "--capability", "text"])
    assert "No leaderboard data yet for the LMArena text arena" in old.output
    assert "Its newest board is from 16 Jun 2025, before this window" in old.output
    assert "the window `all` shows it" in old.output


def board_body(day: str, *rows: tuple[str, str, float]) -> bytes:
    return json.dumps(
        {
            "rows": [
                {
                    "row_idx": i,
                    "row": {
                        "model_name": m,
                        "organization": o,
                        "rank": i + 1,
                        "rating": score,
                        "rating_lower": score - 4,
                        "rating_upper": score + 4,
                        "vote_count": 5000,
                        "category": "overall",
                        "leaderboard_publish_date": day,
                    },
                }
                for i, (m, o, score) in enumerate(sorted(rows, key=lambda r: -r[2]))
            ]
        }
    ).encode()


def jsonl(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines()]


async def test_a_lead_change_alerts_once(
    server: LocalServer, tmp_path: Path, write_config: Callable[[dict[str, Any]], Path]
) -> None:
    out = tmp_path / "alerts.jsonl"
    settings = {
        "sources": [{"name": "video-arena", "type": "leaderboard", "board": "text_to_video"}],
        "hub": {"datasets_server": server.base},
        "destinations": {"file": {"type": "jsonl", "path": str(out)}},
    }  # the shipped example rules, including capability-gap-moves

    async def poll() -> None:
        app = await start_app(load_config(write_config(settings), env={}))
        try:
            await app.poll_once(force=True)
        finally:
            await app.close()

    server.set(
        "/filter",
        board_body("2025-05-26", ("veo3", "Google", 1185), ("kling-v2-master", "Kuaishou", 1140)),
    )
    await poll()
    server.set(
        "/filter",
        board_body("2025-06-16", ("veo3", "Google", 1185), ("seedance-v1-pro", "ByteDance", 1195)),
    )
    await poll()
    await poll()  # the same board again: nothing new
    leads = [a for a in jsonl(out) if a.get("type") == "alert" and "the lead" in a["title"]]
    assert [a["title"] for a in leads] == [
        "China takes the lead on the LMArena text-to-video arena, by 10 points"
    ]
    assert "seedance-v1-pro (China) 1195 against veo3 (the US) 1185" in leads[0]["summary"]
    config = load_config(write_config(settings), env={})
    _engine, sessions = open_store(config.database_url)
    with sessions.begin() as session:
        series = boards_repo.best_series(session, "video")
    assert [(b.day.isoformat(), b.country, b.model) for b in series] == [
        ("2025-05-26", "CN", "kling-v2-master"),
        ("2025-05-26", "US", "veo3"),
        ("2025-06-16", "CN", "seedance-v1-pro"),
        ("2025-06-16", "US", "veo3"),
    ]


def test_chart_has_both_series_labelled_axes_and_years() -> None:
    days = [
        best(f"2025-{m:02d}-01", c, f"m{m}", 1300 + m * (3 if c == US else 4))
        for m in range(1, 13)
        for c in (US, CN)
    ]
    days += [best("2026-01-05", US, "next", 1350), best("2026-01-05", CN, "next", 1352)]
    gap = capability_gap("text", days)
    figure = capability_figure(gap, "Capability gap", [(D("2025-06-02"), "export rule")])
    axes = figure.axes[0]
    labels = [line.get_label() for line in axes.get_lines()]
    assert "best US model" in labels and "best Chinese model" in labels
    assert "export-control news" in labels
    assert axes.get_ylabel() == "arena score (best model)"
    figure.canvas.draw()
    ticks = [t.get_text() for t in axes.get_xticklabels() if t.get_text()]
    assert ticks and all(any(y in t for y in ("2025", "2026")) for t in ticks)
    legend = axes.get_legend()
    assert legend is not None
    # the legend sits in the headroom above every data point
    box = legend.get_window_extent().transformed(axes.transData.inverted())
    assert box.y0 > max(max(d.us.score, d.cn.score) for d in gap.series)


def test_snapshot_rows_need_a_model_and_a_number() -> None:
    with pytest.raises(ValueError, match="model name"):
        BoardRow(model=" ", score=1.0)
    with pytest.raises(ValueError, match="not a number"):
        BoardRow(model="x", score=float("nan"))
    assert BoardSnapshot("text", D("2025-01-01")).rows == ()


def test_a_board_split_over_pages_is_imported_whole(tmp_path: Path, store_config: Path) -> None:
    def page(offset: int, *models: tuple[str, str, float]) -> Path:
        path = tmp_path / f"text-{offset}.json"
        rows = [
            {
                "row": {
                    "model_name": m,
                    "organization": o,
                    "rating": s,
                    "category": "overall",
                    "leaderboard_publish_date": "2025-09-01",
                }
            }
            for m, o, s in models
        ]
        path.write_text(json.dumps({"rows": rows}), encoding="utf-8")
        return path

    first = page(0, ("gpt-5-high", "OpenAI", 1455.0))
    second = page(100, ("deepseek-v3.1", "DeepSeek", 1418.0))
    result = CliRunner().invoke(
        cli,
        [
            "-c",
            str(store_config),
            "leaderboard",
            "import",
            "--arena",
            "text",
            str(first),
            str(second),
        ],
    )
    assert "1 board stored" in result.output, result.output
    config = load_config(store_config, env={})
    _engine, sessions = open_store(config.database_url)
    with sessions.begin() as session:
        assert {b.model for b in boards_repo.best_series(session, "text")} == {
            "gpt-5-high",
            "deepseek-v3.1",
        }
