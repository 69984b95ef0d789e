"""The LMArena leaderboard: a new number one, a model entering the top N, and a change in each
country's best rank become items. Detection is by stable ids, so a change alerts once."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, datetime
from urllib.parse import urlencode

from pydantic import ValidationError

from bot.boards import BoardRow, BoardSnapshot, arena_of
from bot.errors import FetchError
from bot.items import NewItem
from bot.sources.clean import clean_line
from bot.sources.hub_json import ArenaRow

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


def parse_rows(body: bytes) -> list[ArenaRow]:
    """The overall rows of a ``/filter`` answer, best first; a row that is not a model with a
    rank is skipped, an answer without rows is an error."""
    try:
        doc = json.loads(body)
    except (ValueError, RecursionError) as exc:
        raise FetchError(f"the leaderboard answered with invalid JSON: {str(exc)[:120]}") from None
    entries = doc.get("rows") if isinstance(doc, dict) else None
    if not isinstance(entries, list):
        raise FetchError("the leaderboard answer has no 'rows' list")
    out = []
    for entry in entries:
        try:
            row = ArenaRow.model_validate(entry.get("row") if isinstance(entry, dict) else None)
        except ValidationError:
            continue
        if row.category == "overall":
            out.append(row)
    return sorted(out, key=lambda r: (r.rank, -(r.rating or 0)))


def board_snapshot(rows: list[ArenaRow], config: str, today: date) -> BoardSnapshot:
    """The rows as one day's board: the day LMArena published them, or today when unsaid."""
    days = sorted(r.leaderboard_publish_date[:10] for r in rows if r.leaderboard_publish_date)
    try:
        day = date.fromisoformat(days[-1]) if days else today
    except ValueError:
        day = today
    board: dict[str, BoardRow] = {}
    for row in rows:
        if row.rating is None:
            continue
        board[row.model_name] = BoardRow(
            model=clean_line(row.model_name, 200),
            score=float(row.rating),
            organization=clean_line(row.organization, 200) if row.organization else None,
            lower=float(row.rating_lower) if row.rating_lower is not None else None,
            upper=float(row.rating_upper) if row.rating_upper is not None else None,
            votes=int(row.vote_count) if row.vote_count is not None else None,
            rank=row.rank,
        )
    return BoardSnapshot(arena_of(config), day, tuple(board.values()))


def _facts(row: ArenaRow, runner_up: ArenaRow | None) -> str:
    parts = []
    if row.rating is not None:
        parts.append(f"Arena score {row.rating:.0f}")
    if row.vote_count is not None:
        parts.append(f"{int(row.vote_count):,} votes")
    text = ", ".join(parts)
    if runner_up is not None:
        text += f"; ahead of {runner_up.describe()}"
    published = row.leaderboard_publish_date
    return text + (f" (leaderboard of {published})" if published else "") + "."


def leaderboard_items(
    rows: list[ArenaRow],
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
        f"lmarena:{config}:top1:{leader.model_name}",
        f"{leader.describe()} is the new #1 on the {board}",
        _facts(leader, second),
    )
    for row in rows:
        if row.rank > top_n:
            break
        item(
            f"lmarena:{config}:top{top_n}:{row.model_name}",
            f"{row.describe()} enters the {board} top {top_n} at #{row.rank}",
            _facts(row, None),
        )
    best: dict[str, ArenaRow] = {}
    for row in rows:
        country = country_of(row.organization)
        if country in COUNTRY_NAMES and country not in best:
            best[country] = row
    for country, row in best.items():
        item(
            f"lmarena:{config}:best:{country}:{row.model_name}:{row.rank}",
            f"{row.describe()} is now {COUNTRY_NAMES[country]}'s best model on the {board}, "
            f"at #{row.rank}",
            _facts(row, None),
        )
    return items
