"""Imports point one way: each stage may import its own floor and the floors below it,
never one above (docs/architecture.md draws the floors). A new module in a new folder must
be given a floor here, or this test says so."""

from __future__ import annotations

import ast
from pathlib import Path

BOT = Path(__file__).resolve().parent.parent / "bot"

# top to bottom; modules at the package root (items, errors, text, metrics...) are floor 0
FLOORS: dict[str, int] = {
    "cli": 7,
    "bench": 7,
    "demo": 7,
    "runtime": 6,
    "chat": 5,
    "commands": 5,
    "delivery": 5,
    "alerts": 4,
    "store": 3,
    "sources": 3,
    "config": 3,
    "rules": 2,
    "attribution": 2,
    "stories": 2,
    "gap": 2,
    "located_yaml": 1,
}


def _module(path: Path) -> str:
    parts = path.relative_to(BOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _floor(module: str) -> int:
    parts = module.split(".")
    if len(parts) < 2 or (BOT / f"{parts[1]}.py").exists():
        return 0
    return FLOORS[parts[1]]


def _imports(path: Path) -> list[tuple[str, int]]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("bot."):
            found.append((node.module, node.lineno))
        elif isinstance(node, ast.Import):
            found += [(a.name, node.lineno) for a in node.names if a.name.startswith("bot.")]
    return found


def test_every_folder_has_a_floor() -> None:
    folders = {p.name for p in BOT.iterdir() if (p / "__init__.py").exists()}
    assert folders - {"_shipped_config"} <= set(FLOORS), "give the new folder a floor in FLOORS"


def test_no_import_points_upward() -> None:
    upward = []
    for path in sorted(BOT.rglob("*.py")):
        module = _module(path)
        if ".migrations." in module or module == "bot.__main__":
            continue
        mine = module.split(".")[1] if module.count(".") else ""
        for target, line in _imports(path):
            theirs = target.split(".")[1]
            if theirs != mine and _floor(target) > _floor(module):
                upward.append(f"{path.relative_to(BOT.parent)}:{line} imports {target}")
    assert upward == []


def test_every_advisory_lock_comes_from_the_one_table() -> None:
    """A literal lock id elsewhere could collide with another unnoticed (bot/store/locks.py)."""
    import re

    from bot.store.locks import Lock, role_lock

    literal = re.compile(r"pg_(try_)?advisory_(xact_)?(un)?lock\(\s*\d")
    found = [p for p in BOT.rglob("*.py") if literal.search(p.read_text(encoding="utf-8"))]
    assert found == []
    fixed = {int(lock) for lock in Lock}
    assert len(fixed) == len(Lock)
    roles = ["chat", "state-of-the-race", "digest:daily"]
    assert not fixed & {role_lock(r) for r in roles}
