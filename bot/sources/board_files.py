"""Leaderboard history files: LMArena's published tables (CSV) and its dataset rows (JSON).

``racewatch leaderboard import`` reads them into :class:`BoardSnapshot` s, one per arena and
publish date. Columns are matched by name, the way the tables have spelled them over the
years (``model_name``/``Model``/``key``, ``rating``/``Arena Score``/``Arena Elo``,
``rating_lower``+``rating_upper`` or ``95% CI`` as ``+3/-5``, ``vote_count``/``Votes``).
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from bot.boards import ARENAS, BoardRow, BoardSnapshot, arena_of
from bot.errors import RacewatchError

_COLUMNS: dict[str, tuple[str, ...]] = {
    "model": ("model_name", "model", "key", "name", "modelname"),
    "score": ("rating", "arena_score", "score", "arena_elo", "elo", "elo_rating"),
    "lower": ("rating_lower", "lower", "ci_lower"),
    "upper": ("rating_upper", "upper", "ci_upper"),
    "ci": ("95_ci", "ci", "95ci", "confidence_interval"),
    "votes": ("vote_count", "votes", "num_battles", "battles"),
    "rank": ("rank", "rank_ub", "rank_stylectrl", "rank_style_control"),
    "organization": ("organization", "organisation", "org", "developer"),
    "licence": ("license", "licence"),
    "day": ("leaderboard_publish_date", "publish_date", "date", "day"),
    "arena": ("arena", "config", "subset", "leaderboard"),
    "category": ("category",),
}
_DATE_IN_NAME = re.compile(r"(20\d\d)[-_]?([01]\d)[-_]?([0-3]\d)")
_CI = re.compile(r"^\s*\+?\s*(-?\d+(?:\.\d+)?)\s*/\s*-?\s*(\d+(?:\.\d+)?)\s*$")
_LINK = re.compile(r"<[^>]+>")


class BoardFileError(RacewatchError):
    """A history file racewatch cannot read; names the file and, where it can, the line."""


@dataclass(frozen=True)
class _Line:
    where: str
    values: dict[str, Any]


def _norm(header: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", header.strip().lower().replace("%", "")).strip("_")


def _mapping(headers: Iterable[str]) -> dict[str, str]:
    """Our field -> the file's column, for the columns this file has."""
    present = {_norm(h): h for h in headers if isinstance(h, str)}
    found = {}
    for field_name, names in _COLUMNS.items():
        for name in names:
            if name in present:
                found[field_name] = present[name]
                break
    return found


def _number(value: Any) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    text = str(value).strip().replace(",", "")
    if not text or text.lower() in ("nan", "none", "-", "n/a"):
        return None
    try:
        return float(text)
    except ValueError:
        return None


def _day(value: Any) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if not isinstance(value, str | int) or not str(value).strip():
        return None
    text = str(value).strip()
    found = _DATE_IN_NAME.search(text)
    if found is None:
        return None
    try:
        return date(int(found[1]), int(found[2]), int(found[3]))
    except ValueError:
        return None


def _row(line: _Line, columns: dict[str, str]) -> tuple[BoardRow, date | None, str | None]:
    def get(name: str) -> Any:
        column = columns.get(name)
        return line.values.get(column) if column is not None else None

    model = _LINK.sub("", str(get("model") or "")).strip()
    score = _number(get("score"))
    if not model or score is None:
        raise BoardFileError(f"{line.where}: needs a model name and a numeric score")
    lower, upper = _number(get("lower")), _number(get("upper"))
    ci = get("ci")
    if lower is None and upper is None and isinstance(ci, str) and _CI.match(ci):
        plus, minus = _CI.match(ci).groups()  # type: ignore[union-attr]
        upper, lower = score + float(plus), score - float(minus)
    votes, rank = _number(get("votes")), _number(get("rank"))
    organization = get("organization")
    licence = get("licence")
    arena = get("arena")
    return (
        BoardRow(
            model=model[:200],
            score=score,
            organization=str(organization).strip()[:200] if organization else None,
            lower=lower,
            upper=upper,
            votes=int(votes) if votes is not None else None,
            rank=int(rank) if rank is not None else None,
            licence=str(licence).strip() if licence else None,
        ),
        _day(get("day")),
        str(arena) if arena else None,
    )


def _lines(path: Path, data: bytes) -> Iterator[_Line]:
    """Each record of a CSV, JSON (dataset rows or a list) or JSON Lines file."""
    text = data.decode("utf-8-sig", errors="replace")
    stripped = text.lstrip()
    if path.suffix.lower() in (".jsonl", ".ndjson"):
        for number, raw in enumerate(text.splitlines(), 1):
            if raw.strip():
                yield _Line(f"{path}:{number}", _json_record(raw, f"{path}:{number}"))
        return
    if stripped.startswith(("{", "[")):
        try:
            doc = json.loads(text)
        except ValueError as exc:
            raise BoardFileError(f"{path}: not valid JSON ({exc})") from None
        records = doc.get("rows") if isinstance(doc, dict) else doc
        if not isinstance(records, list):
            raise BoardFileError(f"{path}: expected a list of rows or {{'rows': [...]}}")
        for index, record in enumerate(records):
            if isinstance(record, dict) and isinstance(record.get("row"), dict):
                record = record["row"]
            if not isinstance(record, dict):
                raise BoardFileError(f"{path}: row {index} is not an object")
            yield _Line(f"{path}: row {index}", record)
        return
    reader = csv.DictReader(io.StringIO(text))
    for number, record in enumerate(reader, 2):
        yield _Line(f"{path}:{number}", dict(record))


def _json_record(raw: str, where: str) -> dict[str, Any]:
    try:
        record = json.loads(raw)
    except ValueError as exc:
        raise BoardFileError(f"{where}: not valid JSON ({exc})") from None
    if isinstance(record, dict) and isinstance(record.get("row"), dict):
        record = record["row"]
    if not isinstance(record, dict):
        raise BoardFileError(f"{where}: not a JSON object")
    return record


def _arena_in_name(path: Path) -> str | None:
    """``lmarena_text_to_video.csv`` -> ``text_to_video``: the longest config named."""
    stem = path.stem.lower().replace("-", "_")
    named = [config for config in ARENAS if config in stem]
    return max(named, key=len) if named else None


def read_board_file(
    path: Path, *, arena: str | None = None, day: date | None = None
) -> list[BoardSnapshot]:
    """The snapshots in one file, grouped by arena and publish date.

    A row's own date and arena win; then ``day``/``arena`` given by the caller; then a date
    in the file name (``leaderboard_table_20240403.csv``); the arena defaults to text.
    Only the ``overall`` category is kept when the file has categories."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise BoardFileError(f"{path}: cannot read it ({exc.strerror})") from None
    fallback_day = day or _day(path.name)
    groups: dict[tuple[str, date], dict[str, BoardRow]] = {}
    columns: dict[str, str] | None = None
    for line in _lines(path, data):
        if columns is None:
            columns = _mapping(line.values.keys())
            missing = [f for f in ("model", "score") if f not in columns]
            if missing:
                raise BoardFileError(
                    f"{path}: no {' or '.join(missing)} column (found: "
                    f"{', '.join(list(line.values)[:12])})"
                )
        category = line.values.get(columns.get("category", ""), "overall")
        if category not in (None, "", "overall", "full"):
            continue
        row, row_day, row_arena = _row(line, columns)
        when = row_day or fallback_day
        if when is None:
            raise BoardFileError(
                f"{line.where}: no publish date (give --date YYYY-MM-DD, or a file name with one)"
            )
        key = (arena_of(row_arena or arena or _arena_in_name(path) or "text"), when)
        groups.setdefault(key, {})[row.model] = row  # a repeated model: the last line wins
    return [
        BoardSnapshot(arena_name, when, tuple(rows.values()))
        for (arena_name, when), rows in sorted(groups.items(), key=lambda kv: (kv[0][1], kv[0][0]))
    ]
