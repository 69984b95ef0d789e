"""YAML with line numbers: every problem we report can point at the line that caused it."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bot.errors import ConfigError, Problem

Loc = tuple[str | int, ...]

# A loader used only for its constructor: turns already-composed scalar nodes into values.
_SCALARS = yaml.SafeLoader("")
# The pure-Python composer: libyaml's (CSafeLoader) is 5x faster on orgs.yaml but crashed the
# interpreter (segmentation fault in compose) in a full test run.
_COMPOSER = yaml.SafeLoader


@dataclass
class SourceText:
    """Parsed YAML plus the line (1-based) where each key or list item starts."""

    file: str
    data: Any
    lines: dict[Loc, int] = field(default_factory=dict)

    def line_of(self, loc: Loc) -> int | None:
        """The line of ``loc`` or of its nearest ancestor that has one."""
        for cut in range(len(loc), -1, -1):
            line = self.lines.get(tuple(loc[:cut]))
            if line is not None:
                return line
        return None


# A settings file is a few kilobytes; these limits are far above any real one and far
# below what a hostile one needs ("billion laughs" aliases: 700 bytes used 1.3 GB).
MAX_FILE_BYTES = 4 * 1024 * 1024
MAX_NODES = 100_000  # values after alias expansion
MAX_DEPTH = 100


class _Budget:
    def __init__(self, file: str) -> None:
        self.file, self.nodes = file, 0

    def spend(self, node: yaml.Node, depth: int) -> None:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise _problem(
                self.file,
                node,
                f"the file expands to more than {MAX_NODES:,} values (through aliases?)",
                "write the values out, or use fewer '*' aliases",
            )
        if depth > MAX_DEPTH:
            raise _problem(self.file, node, f"nested more than {MAX_DEPTH} levels deep")


def _problem(file: str, node: yaml.Node, message: str, hint: str = "") -> ConfigError:
    return ConfigError([Problem(file, node.start_mark.line + 1, "", message, hint)])


def _scalar(node: yaml.Node, file: str) -> Any:
    try:
        return _SCALARS.construct_object(node, deep=True)
    except yaml.YAMLError as exc:
        raise _problem(file, node, f"not a value racewatch reads: {exc}".split("\n")[0]) from None
    except (ValueError, OverflowError) as exc:  # 2001-02-30 reads as a date, and fails
        raise _problem(
            file, node, f"not a valid value: {exc}", "quote it to keep it as text"
        ) from None
    finally:
        # the constructor remembers every node it built, for anchors within one document;
        # here each scalar stands alone, and remembering them kept every file ever read
        # (6 GB over a test run, and a leak with each settings reload)
        _SCALARS.constructed_objects.clear()


def _convert(node: yaml.Node, loc: Loc, lines: dict[Loc, int], budget: _Budget) -> Any:
    file = budget.file
    budget.spend(node, len(loc))
    lines.setdefault(loc, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key = str(_scalar(key_node, file))
            if key in out:
                raise ConfigError(
                    [
                        Problem(
                            file,
                            key_node.start_mark.line + 1,
                            ".".join(map(str, loc)) or "top level",
                            f"key '{key}' appears twice",
                            "remove one of them",
                        )
                    ]
                )
            lines[(*loc, key)] = key_node.start_mark.line + 1
            out[key] = _convert(value_node, (*loc, key), lines, budget)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_convert(child, (*loc, i), lines, budget) for i, child in enumerate(node.value)]
    return _scalar(node, file)


def parse_yaml(text: str, file: str) -> SourceText:
    """Parse ``text``; a syntax error becomes a :class:`ConfigError` naming file and line."""
    try:
        node = yaml.compose(text, Loader=_COMPOSER)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        lines = text.splitlines()
        at = lines[mark.line] if mark and mark.line < len(lines) else ""
        tabs = "\\t" in str(exc.problem) or "\t" in at[: len(at) - len(at.lstrip())]
        raise ConfigError(
            [
                Problem(
                    file,
                    line,
                    "",
                    f"not valid YAML: {exc.problem or exc}",
                    "YAML does not allow tabs for indentation; use spaces"
                    if tabs
                    else "check indentation and quoting near this line",
                )
            ]
        ) from None
    except yaml.YAMLError as exc:
        raise ConfigError([Problem(file, None, "", f"not valid YAML: {exc}")]) from None
    except RecursionError:
        raise ConfigError([Problem(file, None, "", "not valid YAML: nested too deeply")]) from None
    src = SourceText(file=file, data=None)
    if node is not None:
        src.data = _convert(node, (), src.lines, _Budget(file))
    return src


def read_yaml(path: Path) -> SourceText:
    """Read and parse a YAML file, with a clear error when it is missing, unreadable, not
    text or larger than any settings file (``/dev/zero`` is refused, not read forever)."""
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_FILE_BYTES + 1)
    except FileNotFoundError:
        raise ConfigError(
            [
                Problem(
                    str(path), None, "", "file not found", "check the path, or run without --config"
                )
            ]
        ) from None
    except OSError as exc:
        raise ConfigError([Problem(str(path), None, "", f"cannot read file: {exc}")]) from None
    if len(data) > MAX_FILE_BYTES:
        raise ConfigError(
            [
                Problem(
                    str(path),
                    None,
                    "",
                    f"the file is larger than {MAX_FILE_BYTES // 1024 // 1024} MiB",
                    "is this the right file? settings files are a few kilobytes",
                )
            ]
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(
            [Problem(str(path), None, "", f"cannot read file: not UTF-8 text ({exc.reason})")]
        ) from None
    if "\x00" in text:
        raise ConfigError(
            [Problem(str(path), None, "", "cannot read file: it contains NUL bytes (not text)")]
        )
    return parse_yaml(text, str(path))
