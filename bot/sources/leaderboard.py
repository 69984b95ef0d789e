"""The LMArena leaderboard: a new number one, a model entering the top N, and a change in each
country's best rank become items. Detection is by stable ids, so a change alerts once."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, datetime
from typing import Any
from urllib.parse import urlencode

from bot.boards import BoardRow, BoardSnapshot, arena_of
from bot.errors import FetchError
from bot.items import NewItem
from bot.sources.clean import clean_line

DATASET = "lmarena-ai/leaderboard-dataset"
COUNTRY_NAMES = {"CN": "China", "US": "the US"}


def rows_url(server: str, config: str = "text", limit: int = 100) -> str:
    query = {
        "dataset": DATASET,
        "config": config,
        "split": "latest",
        "where": "\"category\"='overall'",
        "orderby": "rank",
        "offset": 0,
        "length": limit,
    }
    return f"{server.rstrip('/')}/filter?{urlencode(query)}"


def parse_rows(body: bytes) -> list[dict[str, Any]]:
    try:
        doc = json.loads(body)
    except (ValueError, RecursionError) as exc:
        raise FetchError(f"the leaderboard answered with invalid JSON: {str(exc)[:120]}") from None
    rows = doc.get("rows") if isinstance(doc, dict) else None
    if not isinstance(rows, list):
        raise FetchError("the leaderboard answer has no 'rows' list")
    out = []
    for entry in rows:
        row = entry.get("row") if isinstance(entry, dict) else None
        if not isinstance(row, dict) or not isinstance(row.get("model_name"), str):
            continue
        rank = row.get("rank")
        if not isinstance(rank, int | float) or isinstance(rank, bool):
            continue
        if row.get("category", "overall") != "overall":
            continue
        out.append({**row, "rank": int(rank)})
    return sorted(out, key=lambda r: (r["rank"], -float(r.get("rating") or 0)))


def _float(value: Any) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return None


def board_snapshot(rows: list[dict[str, Any]], config: str, today: date) -> BoardSnapshot:
    """The rows as one day's board: the day LMArena published them, or today when unsaid."""
    days = sorted(
        str(r["leaderboard_publish_date"])[:10]
        for r in rows
        if isinstance(r.get("leaderboard_publish_date"), str)
    )
    try:
        day = date.fromisoformat(days[-1]) if days else today
    except ValueError:
        day = today
    board: dict[str, BoardRow] = {}
    for row in rows:
        score = _float(row.get("rating"))
        if score is None:
            continue
        votes = _float(row.get("vote_count"))
        org = row.get("organization")
        board[row["model_name"]] = BoardRow(
            model=clean_line(row["model_name"], 200),
            score=score,
            organization=clean_line(org, 200) if isinstance(org, str) and org else None,
            lower=_float(row.get("rating_lower")),
            upper=_float(row.get("rating_upper")),
            votes=int(votes) if votes is not None else None,
            rank=row["rank"],
        )
    return BoardSnapshot(arena_of(config), day, tuple(board.values()))


def _describe(row: dict[str, Any]) -> str:
    org = row.get("organization")
    return (
        f"{row['model_name']} ({org})" if isinstance(org, str) and org else str(row["model_name"])
    )


def _facts(row: dict[str, Any], runner_up: dict[str, Any] | None) -> str:
    parts = []
    if isinstance(row.get("rating"), int | float):
        parts.append(f"Arena score {row['rating']:.0f}")
    if isinstance(row.get("vote_count"), int):
        parts.append(f"{row['vote_count']:,} votes")
    text = ", ".join(parts)
    if runner_up is not None:
        text += f"; ahead of {_describe(runner_up)}"
    date = row.get("leaderboard_publish_date")
    return text + (f" (leaderboard of {date})" if isinstance(date, str) else "") + "."


def leaderboard_items(
    rows: list[dict[str, Any]],
    *,
    config: str,
    top_n: int,
    country_of: Callable[[str | None], str | None],
    now: datetime,
    page_url: str,
) -> list[NewItem]:
    """Items for the current standings; ids are stable, so only changes are new."""
    items: list[NewItem] = []
    board = f"LMArena {config.replace('_', '-')} leaderboard"

    def item(guid: str, title: str, summary: str) -> None:
        items.append(
            NewItem(
                guid=guid,
                title=clean_line(title, 300),
                url=page_url,
                summary=summary,
                published_at=now,
                language="en",
                tags=("leaderboard", "lmarena"),
            )
        )

    if not rows:
        return items
    leader = rows[0]
    second = rows[1] if len(rows) > 1 else None
    item(
        f"lmarena:{config}:top1:{leader['model_name']}",
        f"{_describe(leader)} is the new #1 on the {board}",
        _facts(leader, second),
    )
    for row in rows:
        if row["rank"] > top_n:
            break
        item(
            f"lmarena:{config}:top{top_n}:{row['model_name']}",
            f"{_describe(row)} enters the {board} top {top_n} at #{row['rank']}",
            _facts(row, None),
        )
    best: dict[str, dict[str, Any]] = {}
    for row in rows:
        country = country_of(
            row.get("organization") if isinstance(row.get("organization"), str) else None
        )
        if country in COUNTRY_NAMES and country not in best:
            best[country] = row
    for country, row in best.items():
        item(
            f"lmarena:{config}:best:{country}:{row['model_name']}:{row['rank']}",
            f"{_describe(row)} is now {COUNTRY_NAMES[country]}'s best model on the {board}, "
            f"at #{row['rank']}",
            _facts(row, None),
        )
    return items
