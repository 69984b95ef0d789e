"""How read commands print: tables on a terminal, plain columns when piped, JSON on request.

Results go to stdout (logs go to stderr). ``--json`` prints one JSON object whose keys are
documented in the README (times as ISO 8601 UTC, missing values as null); the shape only
grows, so scripts written against it keep working.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

import click
from rich.cells import cell_len
from rich.console import Console
from rich.table import Table
from rich.text import Text

F = TypeVar("F", bound=Callable[..., Any])
out = Console(highlight=False)


def json_option(fn: F) -> F:
    """``--json``: the command's result as one JSON object on stdout."""
    return click.option(
        "--json", "as_json", is_flag=True, help="Print the result as one JSON object."
    )(fn)


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON")


def emit_json(data: dict[str, Any]) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, default=_plain))


def print_table(table: Table, console: Console | None = None) -> None:
    """A rich table on a terminal; when piped, plain space-aligned columns with no box, no
    colour and no wrapping, one row per line (``grep``, ``cut`` and ``awk`` work on it)."""
    console = console or out
    if console.is_terminal:
        console.print(table)
        return
    header = [_text(c.header) for c in table.columns]
    columns = [[_text(cell) for cell in c.cells] for c in table.columns]
    rows = [list(r) for r in zip(*columns, strict=True)] if columns else []
    widths = [max([cell_len(h), *(cell_len(r[i]) for r in rows)]) for i, h in enumerate(header)]
    if table.title:
        console.print(_text(table.title), markup=False, soft_wrap=True)
    for line in [header, *rows]:
        cells = []
        for i, cell in enumerate(line):
            pad = " " * (widths[i] - cell_len(cell))
            cells.append(pad + cell if table.columns[i].justify == "right" else cell + pad)
        console.print("  ".join(cells).rstrip(), markup=False, soft_wrap=True)
    if table.caption:
        console.print(_text(table.caption), markup=False, soft_wrap=True)


def _text(cell: object) -> str:
    """A cell as one line of plain text (rich reads markup in ``str`` cells, so do we)."""
    text = cell.plain if isinstance(cell, Text) else Text.from_markup(str(cell)).plain
    return " ".join(text.split())
