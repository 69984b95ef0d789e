"""Release keys: how a hub upload, a blog post and news coverage of one release meet.

A key is a model family and a version, namespaced by the organisation that makes the
family: ``DeepSeek-R1``, ``DeepSeek R1`` and, in an item about DeepSeek, a bare ``R1`` are
all ``deepseek-r1``. Sizes, quantisations and packaging (``-235B-A22B``, ``-Instruct``,
``-GGUF``) are dropped; tiers released together (``Llama 4 Scout`` and ``Maverick``,
``GLM-4.5-Air``) share the release of their version; product lines (``Qwen3-Coder``,
``Qwen2.5-VL``) and dated updates (``DeepSeek-R1-0528``) are releases of their own.

Families come from the organisation registry as plain names, so this module stays pure.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

# sizes and parameter counts: 7B, 1.5b, A22B, 8x7B, 16E, 400M
_SIZE = re.compile(r"^(?:a?\d+(?:\.\d+)?[bmkt]|\d+x\d+(?:\.\d+)?b|\d+e)$")
_VERSION = re.compile(r"^v?\d+(?:\.\d+)*[a-z]?$")
_LETTER_VERSION = re.compile(r"^[vrkm]\d+(?:\.\d+)*$")  # V3.1, R1, K2, M1: versions alone
_DATE = re.compile(r"^(?:0[1-9]|1[0-2]|2[3-9])(?:[0-3]\d)$")  # 0528 (MMDD), 2507 (YYMM)
_LONG_DATE = re.compile(r"^20\d{6}$")  # 20250805: a snapshot of a release, not a release
_QUANT = re.compile(r"^(?:q\d(?:_[a-z0-9]+)*|\d+bit|w\d+a\d+|iq\d\w*|nf4|fp\d+|int\d+|bf16)$")
_TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.]*")

# words that say how a release is packaged or run, never which release it is
_PACKAGING = frozenset(
    [
        "instruct",
        "base",
        "chat",
        "it",
        "hf",
        "gguf",
        "awq",
        "gptq",
        "mlx",
        "exl2",
        "bnb",
        "onnx",
        "mnn",
        "fp8",
        "dynamic",
        "quantized",
        "thinking",
        "reasoning",
        "preview",
        "exp",
        "experimental",
        "latest",
        "high",
        "low",
        "medium",
        "minimal",
        "hybrid",
        "release",
        "model",
        "models",
        "weights",
        "original",
        "unsloth",
        "hub",
        "api",
    ]
)
# tiers shipped together as one release (or, where later, still the same release name)
TIERS = frozenset(
    [
        "scout",
        "maverick",
        "behemoth",
        "mini",
        "nano",
        "pro",
        "flash",
        "lite",
        "air",
        "small",
        "large",
        "max",
        "plus",
        "turbo",
        "ultra",
        "sonnet",
        "opus",
        "haiku",
        "instant",
        "fast",
        "light",
    ]
)
# product lines: a release of their own even with the same version number
LINES = frozenset(
    [
        "coder",
        "code",
        "vl",
        "omni",
        "math",
        "audio",
        "image",
        "video",
        "vision",
        "tts",
        "asr",
        "embedding",
        "embed",
        "reranker",
        "guard",
        "prover",
        "distill",
        "oss",
        "edit",
        "janus",
        "ocr",
        "vla",
    ]
)


@dataclass(frozen=True)
class Family:
    """A model family a release key can start with, and the organisation (root) making it."""

    name: str  # lower case: "deepseek", "qwen", "gpt", "o"
    org: str  # root organisation id
    alias: bool = False  # an organisation's name standing for its default family


@dataclass(frozen=True)
class ReleaseKey:
    """``release`` merges stories; ``name`` is the model as written, for people."""

    org: str
    release: str  # "llama-4"
    name: str  # "llama-4-scout"
    how: str  # "family and version in the text" ...

    def describe(self) -> str:
        named = "" if self.name == self.release else f", named {self.name}"
        return f"'{self.release}' ({self.org}{named}; {self.how})"


class Families:
    """Family stems by lower-case spelling, built once from the registry's names."""

    def __init__(self, entries: Iterable[tuple[str, Sequence[str], Sequence[str]]]) -> None:
        """``entries``: (root organisation id, product names, organisation names)."""
        self.by_stem: dict[str, Family | None] = {}  # None: two organisations claim it
        self.default: dict[str, str] = {}  # root org -> the family its bare versions are of
        aliases: list[tuple[str, str]] = []
        for org, products, names in entries:
            stems = [(s, p) for p in products if (s := _stem(p)) is not None]
            for stem, _product in stems:
                self._claim(Family(stem, org))
            # a family the registry writes with a version (Kimi K2, Llama 3) is the one a
            # bare "K2" means; else the organisation's own name (Mistral), else its first
            versioned = [s for s, p in stems if any(c.isdigit() for c in p)]
            own = [s for n in names if (s := _stem(n)) is not None]
            if choice := (versioned or own or [s for s, _ in stems])[:1]:
                self.default.setdefault(org, choice[0])
            aliases += [(org, s) for s in own]
        for org, stem in aliases:
            if stem not in self.by_stem and org in self.default:
                alias = stem != self.default[org]
                self._claim(Family(self.default[org], org, alias=alias), stem)
        for org, family in self.default.items():
            if family not in self.by_stem:  # an organisation's own name as its family
                self._claim(Family(family, org), family)
        self._longest = sorted((s for s in self.by_stem if len(s) > 1), key=len, reverse=True)

    def _claim(self, family: Family, stem: str | None = None) -> None:
        stem = stem or family.name
        held = self.by_stem.get(stem, family)
        self.by_stem[stem] = family if held is not None and held.org == family.org else None

    def split(self, token: str) -> tuple[Family, str] | None:
        """``qwen3`` -> (qwen, "3"); ``o3`` -> (o, "3"); ``deepseek`` -> (deepseek, "")."""
        low = token.lower()
        if (family := self.by_stem.get(low)) is not None:
            return family, ""
        if low[:1] == "o" and re.fullmatch(r"o\d+", low) and (o := self.by_stem.get("o")):
            return o, low[1:]
        for stem in self._longest:
            if low.startswith(stem) and _VERSION.match(rest := low[len(stem) :]):
                family = self.by_stem[stem]
                return (family, rest) if family is not None else None
        return None


def _stem(name: str) -> str | None:
    """The family stem of a registry name: ``DeepSeek-V3`` -> ``deepseek``, ``o1`` -> ``o``."""
    if not name.isascii():
        return None
    first = re.split(r"[\s\-_/]", name.strip(), maxsplit=1)[0].lower()
    if re.fullmatch(r"o\d+", first):
        return "o"
    letters = re.match(r"[a-z][a-z.]*[a-z]|[a-z]", first)
    if letters is None or len(letters.group(0)) < 2:
        return None
    stem = letters.group(0)
    return stem if first[len(stem) :] == "" or _VERSION.match(first[len(stem) :]) else None


@dataclass
class _Tok:
    text: str  # lower case
    gap: str  # what precedes it: "-", " ", "" (start) or "x" (anything else, CJK included)


def _tokens(text: str) -> list[_Tok]:
    out: list[_Tok] = []
    end = 0
    for m in _TOKEN.finditer(text):
        between = text[end : m.start()]
        gap = "" if not out else ("-" if between in ("-", "_") else " " if between == " " else "x")
        word = m.group(0).rstrip("._")
        out.append(_Tok(word.lower(), gap))
        end = m.start() + len(word)
    return out


def _version(toks: list[_Tok], j: int) -> tuple[str, int] | None:
    """A version at ``toks[j]`` (``3.1``, ``v3``, ``k2``; ``4-1`` in ids), and the next index."""
    if j >= len(toks) or toks[j].gap not in ("-", " ", "_"):
        return None
    word = toks[j].text
    if _SIZE.match(word) or _DATE.match(word) or _LONG_DATE.match(word):
        return None
    if _LETTER_VERSION.match(word):
        return word, j + 1
    if not (_VERSION.match(word) and word[0].isdigit()) or len(word) > 6:
        return None
    nxt = toks[j + 1] if j + 1 < len(toks) else None
    if nxt and nxt.gap == "-" and word.isdigit() and re.fullmatch(r"\d", nxt.text):
        return f"{word}.{nxt.text}", j + 2  # claude-opus-4-1: 4.1
    return word, j + 1


def _tail(toks: list[_Tok], j: int, families: Families) -> tuple[list[str], str | None, str | None]:
    """Words after a version: product lines, the first tier and the first dated update."""
    lines: list[str] = []
    tier = date = None
    for tok in toks[j : j + 8]:
        word = tok.text
        if tok.gap not in ("-", " ") or families.split(word) is not None:
            break
        if _SIZE.match(word) or _QUANT.match(word) or word in _PACKAGING:
            continue
        if _LONG_DATE.match(word):
            continue
        if _DATE.match(word):
            date = date or word
        elif word in TIERS:
            tier = tier or word
        elif word in LINES or (tok.gap == "-" and word.isalpha() and len(word) > 2):
            lines.append(word)  # "-Terminus", "-Coder": a release line of its own
        else:
            break
    return lines, tier, date


def _join(family: str, version: str) -> str:
    return f"{family}{version}" if family == "o" else f"{family}-{version}"


def _key_at(
    fam: Family, glued: str, toks: list[_Tok], i: int, families: Families
) -> tuple[str, str] | None:
    """(release, name) for the family mentioned at ``toks[i]``, if a version or line follows."""
    before: str | None = None
    j = i + 1
    if glued:
        version: str | None = glued
    else:
        while (
            j < len(toks)
            and toks[j].gap == "-"
            and (_SIZE.match(toks[j].text) or toks[j].text in _PACKAGING)
        ):
            j += 1  # Mistral-7B-v0.1
        found = _version(toks, j)
        if found is None and j < len(toks) and toks[j].text in TIERS | LINES:
            before, found = toks[j].text, _version(toks, j + 1)  # Claude Opus 4.1
        version, j = found if found else (None, j)
    if version is None:
        lines, _tier, date = _tail(toks, i + 1, families)
        if not fam.alias and toks[i + 1 : i + 2] and toks[i + 1].gap == "-" and lines:
            release = "-".join([fam.name, *lines, *([date] if date else [])])
            return release, release  # Qwen-Image, gpt-oss
        return None
    lines, tier, date = _tail(toks, j, families)
    if before in LINES:
        lines.insert(0, before)
    elif before in TIERS:
        tier = before
    release = "-".join([_join(fam.name, version), *lines, *([date] if date else [])])
    name = "-".join([_join(fam.name, version), *lines, *([tier] if tier else [])])
    return release, name + (f"-{date}" if date else "")


def release_key(
    text: str, families: Families, org: str | None, *, repo: bool = False
) -> ReleaseKey | None:
    """The release ``text`` is about, for an item whose primary organisation's root is ``org``.

    Only a family of that organisation gives a key (another lab's model named in passing
    never does). With no family and version in the text, a bare version (``V3.1``, ``R1``,
    ``K2``) is read as the organisation's: the family named in the text, else its first.
    ``repo`` says ``text`` is a hub repository name: a family alone (``QwQ-32B``) is a key.
    """
    if org is None:
        return None
    toks = _tokens(text)
    named: str | None = None
    for i, tok in enumerate(toks):
        found = families.split(tok.text)
        if found is None or found[0].org != org:
            continue
        fam, glued = found
        named = named or fam.name
        key = _key_at(fam, glued, toks, i, families)
        if key is not None:
            return ReleaseKey(org, key[0], key[1], "family and version in the text")
        if not fam.alias and (repo or (i + 1 < len(toks) and _SIZE.match(toks[i + 1].text))):
            return ReleaseKey(org, fam.name, fam.name, "family named with a size")
    family = named or families.default.get(org)
    if family is None:
        return None
    for i, tok in enumerate(toks):
        if _LETTER_VERSION.match(tok.text) and (i == 0 or tok.gap in (" ", "x")):
            lines, tier, date = _tail(toks, i + 1, families)
            release = "-".join([f"{family}-{tok.text}", *lines, *([date] if date else [])])
            name = release if not tier else f"{release}-{tier}"
            how = f"bare version '{tok.text}' read as {org}'s {family}"
            return ReleaseKey(org, release, name, how)
    return None
