"""``racewatch orgs --unknown``: hub namespaces seen that the registry does not know yet."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from bot.attribution.registry import Registry
from bot.cli.output import emit_json, print_table
from bot.config.loader import Config
from bot.store import queries
from bot.store.db import open_store


def print_unknown_uploaders(
    config: Config, registry: Registry, out: Console, as_json: bool = False
) -> None:
    """Counted from the stored items, so a namespace added to the registry drops off.
    JSON: ``{"seen": int, "unknown": [{"namespace", "items", "latest"}]}``."""
    engine, sessions = open_store(config.database_url)
    try:
        with sessions.begin() as session:
            seen = queries.uploaders(session)
    finally:
        engine.dispose()
    unknown = [row for row in seen if registry.by_namespace(row[0]) is None]
    if as_json:
        emit_json(
            {
                "seen": len(seen),
                "unknown": [
                    {"namespace": n, "items": c, "latest": latest} for n, c, latest in unknown
                ],
            }
        )
        return
    if not seen:
        out.print(
            "No hub items stored yet: the list fills in once a Hugging Face or ModelScope "
            "source has been polled (racewatch poll --once).",
            markup=False,
        )
        return
    if not unknown:
        out.print(f"Every one of the {len(seen)} hub namespaces seen is a known organisation.")
        return
    table = Table(
        title=f"{len(unknown)} unknown hub namespaces (of {len(seen)} seen)",
        caption="Add the ones that are organisations to an organisations file "
        "(hf: [namespace]); community accounts that re-upload others' models need no entry.",
    )
    for col in ("namespace", "items", "latest"):
        table.add_column(col, justify="right" if col == "items" else "left")
    for namespace, count, latest in unknown:
        table.add_row(namespace, str(count), f"{latest:%Y-%m-%d}")
    print_table(table, out)
