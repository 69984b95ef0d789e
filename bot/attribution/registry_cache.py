"""The parsed organisation registry, kept between processes.

Reading ``orgs.yaml`` (1,200 organisations) with the line-numbering YAML composer costs
about half a second of CPU, paid by every ``racewatch poll --once`` from cron (twice: once
to check the rules' organisation names, once for the classifier). The organisations it
yields are plain values, so they are kept in the user's cache folder (and in the process),
keyed by a hash of every input: the registry files' paths and bytes, and the code and
library versions that read them. Any change to any of them is a new key; a cache that
cannot be read or written is skipped, never an error.

The cache holds ``marshal`` data (strings, tuples, frozensets, booleans), not pickles:
reading it runs no code.
"""

from __future__ import annotations

import hashlib
import logging
import marshal
import os
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import fields
from pathlib import Path
from typing import TYPE_CHECKING

import platformdirs
import pydantic
import yaml

if TYPE_CHECKING:
    from bot.attribution.registry import Org

log = logging.getLogger(__name__)

_HERE = Path(__file__).resolve().parent
# the code that turns the files into organisations: a change to any of it is a new key
_READERS = (
    _HERE / "registry.py",
    _HERE / "places.py",
    _HERE / "places.yaml",
    _HERE.parent / "located_yaml" / "yamlsrc.py",
    _HERE.parent / "located_yaml" / "validate.py",
    Path(__file__).resolve(),
)
_FORMAT = b"racewatch-registry-1"
_KEEP_IN_PROCESS = 8
_KEEP_ON_DISK = 8
_memo: dict[str, tuple[Org, ...]] = {}


def cache_key(files: Sequence[Path]) -> str | None:
    """A hash of the files' paths and bytes and of the code reading them; ``None`` when a
    file cannot be read (the normal path then says why)."""
    digest = hashlib.blake2b(_FORMAT, digest_size=20)
    for part in (sys.version, pydantic.VERSION, yaml.__version__):
        digest.update(part.encode() + b"\0")
    try:
        for path in (*_READERS, *files):
            digest.update(str(path).encode("utf-8", "surrogateescape") + b"\0")
            data = path.read_bytes()
            digest.update(len(data).to_bytes(8, "little") + data)
    except OSError:
        return None
    return digest.hexdigest()


def _cache_file(key: str) -> Path:
    return Path(platformdirs.user_cache_dir("racewatch")) / f"registry-{key}.marshal"


def read(key: str) -> tuple[Org, ...] | None:
    """The organisations stored under ``key``, from this process or the cache folder."""
    from bot.attribution.registry import Org

    if key in _memo:
        return _memo[key]
    try:
        rows = marshal.loads(_cache_file(key).read_bytes())
        orgs = tuple(Org(*row) for row in rows)
    except (OSError, EOFError, ValueError, TypeError):
        return None
    _remember(key, orgs)
    return orgs


def write(key: str, orgs: Sequence[Org]) -> None:
    """Keep ``orgs`` under ``key``; a folder that cannot be written is skipped."""
    kept = tuple(orgs)
    _remember(key, kept)
    if not kept:
        return
    names = [f.name for f in fields(kept[0])]
    data = marshal.dumps([tuple(getattr(o, n) for n in names) for o in kept])
    target = _cache_file(key)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        _forget_old(target.parent)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".registry-")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.replace(tmp, target)
        finally:
            Path(tmp).unlink(missing_ok=True)
    except OSError as exc:
        log.debug("could not keep the parsed registry in %s: %s", target.parent, exc)


def _forget_old(folder: Path) -> None:
    """Earlier versions of the files: all but the newest few (a few configurations may
    share the folder)."""
    kept = sorted(folder.glob("registry-*.marshal"), key=lambda p: p.stat().st_mtime)
    for old in kept[: -(_KEEP_ON_DISK - 1)]:
        old.unlink(missing_ok=True)


def _remember(key: str, orgs: tuple[Org, ...]) -> None:
    if len(_memo) >= _KEEP_IN_PROCESS:
        _memo.pop(next(iter(_memo)))
    _memo[key] = orgs
