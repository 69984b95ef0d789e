"""Release keys: how a hub upload, a blog post and news coverage of one release meet.

A key is a model family and a version, namespaced by the organisation that makes the
family: ``DeepSeek-R1``, ``DeepSeek R1`` and, in an item about DeepSeek, a bare ``R1`` are
all ``deepseek-r1``. Sizes, quantisations and packaging (``-235B-A22B``, ``-Instruct``,
``-GGUF``) are dropped; tiers released together (``Llama 4 Scout`` and ``Maverick``,
``GLM-4.5-Air``) share the release of their version. Everything else a name adds to a
version is a release of its own: product lines (``Qwen3-Coder``, ``GPT-5-Codex``), dated
updates (``DeepSeek-R1-0528``), experiments and previews (``DeepSeek-V3.2-Exp``), tiers
(``Qwen2.5-Max``, ``GLM-4.7-Flash``, ``o3-pro``, ``Claude Haiku 4.5``) and small models
sized in millions (``Gemma 3 270M``): labs ship those weeks or months apart from the bare
version, so a tier never shares a story with its version or a sibling tier.

Families come from the organisation registry as plain names, so this module stays pure.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

# sizes and parameter counts: 7B, 1.5b, A22B, 8x7B, 16E, 400M
_SIZE = re.compile(r"^(?:[ae]?\d+(?:\.\d+)?[bmkt]|\d+x\d+(?:\.\d+)?b|\d+e)$")
_VERSION = re.compile(r"^v?\d+(?:\.\d+)*[a-z]?$")
_LETTER_VERSION = re.compile(r"^[vrkm]\d+(?:\.\d+)*$")  # V3.1, R1, K2, M1: versions alone
# after a family name, T1 and X1 are versions too (Hunyuan T1, ERNIE X1), alone they are not
_NAMED_VERSION = re.compile(r"^[vrkmtx]\d+(?:\.\d+)*$")
_DATE = re.compile(r"^(?:0[1-9]|1[0-2]|2[3-9])(?:[0-3]\d)$")  # 0528 (MMDD), 2507 (YYMM)
_LONG_DATE = re.compile(r"^20\d{6}$")  # 20250805: a snapshot of a release, not a release
_QUANT = re.compile(r"^(?:q\d(?:_[a-z0-9]+)*|\d+bit|w\d+a\d+|iq\d\w*|nf4|fp\d+|int\d+|bf16)$")
_TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.]*")
_HYPHENS = str.maketrans(dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2212", "-"))
# after a name in another script: 千问3, 文心大模型 4.5, 通义万相2.2 (not 3个 or 2025年)
_NATIVE_VERSION = re.compile(
    r"(?:大模型|模型)?\s?([vVtTxX]?\d+(?:\.\d+)?)(?![\d.%年月日个亿万A-Za-z])"
)

# fmt: off
# words that say how a release is packaged or run, never which release it is
_PACKAGING = frozenset(
    (
        "instruct", "base", "chat", "it", "hf", "gguf", "awq", "gptq", "mlx", "exl2", "bnb", "onnx",
        "mnn", "litert", "fp8", "dynamic", "quantized", "distill", "reasoning", "latest", "high",
        "low", "medium", "minimal", "hybrid", "release", "model",
        "models", "weights", "original", "unsloth", "hub", "api"
    )
)
# tiers shipped together as one release: Llama 4 Scout and Maverick are ``llama-4``
TOGETHER = frozenset(("scout", "maverick", "behemoth", "air"))
# tiers that are a release of their own: Gemini 2.5 Flash, o3-pro, Qwen2.5-Max, Claude Haiku
# 4.5 each came out on a day of their own, apart from the bare version and from each other
OWN_TIERS = frozenset(
    (
        "pro", "flash", "lite", "instant", "turbo", "max", "plus", "ultra", "fast", "small",
        "large", "mini", "nano", "sonnet", "opus", "haiku"
    )
)
# product lines: a release of their own even with the same version number
LINES = frozenset(
    (
        "coder", "code", "vl", "omni", "math", "audio", "image", "video", "vision", "tts", "asr",
        "embedding", "embed", "reranker", "guard", "prover", "oss", "edit", "janus", "ocr", "vla",
        "thinking", "codex", "exp", "preview"
    )
)
# one word for one thing: ``-Experimental`` and ``-Exp`` name the same release
_SAME = {"experimental": "exp"}
_GLUED_LINE = re.compile(r"^(?:" + "|".join(sorted(LINES)) + r")\d+(?:\.\d+)?$")
_MILLIONS = re.compile(r"^\d{2,4}m$")  # 270M, 135m: a small model of its own (1M: a context)
# fmt: on


FAMILY_AND_VERSION = "family and version in the text"


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
    release: str  # "llama-4", "gemini-2.5-flash"
    name: str  # "llama-4-scout"
    how: str  # "family and version in the text" ...

    @property
    def compatible(self) -> tuple[str, ...]:
        """Release keys a story may carry for this item to join it: its own only (a tier
        of its own, ``gemini-2.5-flash``, is another release than ``gemini-2.5``)."""
        return (self.release,)

    def describe(self) -> str:
        named = "" if self.name == self.release else f", named {self.name}"
        return f"'{self.release}' ({self.org}{named}; {self.how})"


class Families:
    """Family stems by lower-case spelling, built once from the registry's names."""

    def __init__(self, entries: Iterable[tuple[str, Sequence[str], Sequence[str]]]) -> None:
        """``entries``: (root organisation id, product names, organisation names), one per
        organisation of the registry."""
        self.by_stem: dict[str, Family | None] = {}  # None: two organisations claim it
        self.default: dict[str, str] = {}  # root org -> the family its bare versions are of
        self.native: dict[str, Family] = {}  # 文心, 千问, 通义万相: names in other scripts
        self.names: set[str] = set()  # stems of organisation names: "deepseek", "mistral"
        aliases: list[tuple[str, Family]] = []
        for org, products, names in entries:
            stems = [(s, p) for p in products if (s := _stem(p)) is not None]
            for stem, _product in stems:
                self._claim(Family(stem, org))
            # a family the registry writes with a version (Kimi K2, Llama 3) is the one a
            # bare "K2" means; else the first product (ERNIE), else the name (Mistral)
            versioned = [s for s, p in stems if any(c.isdigit() for c in p)]
            # one-word names only: "Thinking Machines" is no "thinking" family
            own = [s for n in names if " " not in n.strip() and (s := _stem(n)) and len(s) > 2]
            self.names.update(own)
            # "Amazon Nova": the organisation's name, then the family
            for product in products:
                first, _, rest = product.strip().partition(" ")
                s = _stem(rest) if rest and _stem(first) in own else None
                if s and len(s) > 2 and s not in OWN_TIERS | LINES | TOGETHER | _PACKAGING:
                    self._claim(Family(s, org))
                    stems.append((s, rest))
            usual = (versioned or [s for s, _ in stems] or own)[:1]
            if usual:
                self.default.setdefault(org, usual[0])
                for name in (*products, *names):
                    if not name.isascii() and len(name) > 1:
                        self.native.setdefault(name, Family(usual[0], org))
            # "Moonshot K2" is Kimi K2; "Mistral 7B" is Mistral's own family
            aliases += [(s, Family(versioned[0] if versioned else s, org)) for s in own]
        for stem, family in aliases:
            if stem not in self.by_stem:
                self._claim(replace(family, alias=family.name != stem), stem)
        self._longest: dict[str, list[str]] = {}  # by first letter, longest first
        for stem in sorted((s for s in self.by_stem if len(s) > 1), key=len, reverse=True):
            self._longest.setdefault(stem[0], []).append(stem)
        self._native = sorted(self.native, key=len, reverse=True)

    def native_versions(self, text: str) -> Iterable[tuple[Family, str]]:
        """(family, version) for a name in another script followed by a version:
        ``千问3``, ``文心大模型 4.5``, ``通义万相2.2``."""
        for name in self._native:
            start = text.find(name)
            while start >= 0:
                m = _NATIVE_VERSION.match(text, start + len(name))
                if m:
                    yield self.native[name], m.group(1).lower()
                start = text.find(name, start + 1)

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
        for stem in self._longest.get(low[:1], ()):  # a stem a token starts with shares its letter
            if low.startswith(stem) and _VERSION.match(rest := low[len(stem) :]):
                family = self.by_stem[stem]
                return (family, rest) if family is not None else None
        return None


def base_release(release: str) -> str:
    """``gemini-2.5-flash-lite`` -> ``gemini-2.5``: a release key without its own tiers."""
    head, _, last = release.rpartition("-")
    while head and last in OWN_TIERS:
        release = head
        head, _, last = release.rpartition("-")
    return release


def compatible(a: str, b: str) -> bool:
    """Whether two release keys can be one release: only when equal. A tier of its own
    (``gemini-2.5-flash``) and its bare version (``gemini-2.5``) are two releases."""
    return a == b


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
    if len(stem) < 3 and first != name.strip().lower():
        return None  # "Le Chat", "SAM 2": no family "le"
    return stem if first[len(stem) :] == "" or _VERSION.match(first[len(stem) :]) else None


@dataclass
class _Tok:
    text: str  # lower case
    gap: str  # what precedes it: "-", " ", "" (start) or "x" (anything else, CJK included)


def _tokens(text: str) -> list[_Tok]:
    text = text.translate(_HYPHENS)
    out: list[_Tok] = []
    end = 0
    for m in _TOKEN.finditer(text):
        between = text[end : m.start()]
        gap = "" if not out else ("-" if between in ("-", "_") else " " if between == " " else "x")
        word = m.group(0).rstrip("._")
        out.append(_Tok(_SAME.get(word.lower(), word.lower()), gap))
        end = m.start() + len(word)
    return out


def _version(toks: list[_Tok], j: int, named: bool = True) -> tuple[str, int] | None:
    """A version at ``toks[j]`` (``3.1``, ``v3``, ``k2``; ``4-1`` in ids), and the next index.
    ``named``: right after a model family (not an organisation's name), so T1 and X1 count."""
    if j >= len(toks) or toks[j].gap not in ("-", " ", "_"):
        return None
    word = toks[j].text
    if _SIZE.match(word) or _DATE.match(word) or _LONG_DATE.match(word):
        return None
    if (_NAMED_VERSION if named else _LETTER_VERSION).match(word):
        return word, j + 1
    if not (_VERSION.match(word) and word[0].isdigit()) or len(word) > 6:
        return None
    nxt = toks[j + 1] if j + 1 < len(toks) else None
    if nxt and nxt.gap == "-" and word.isdigit() and re.fullmatch(r"\d", nxt.text):
        return f"{word}.{nxt.text}", j + 2  # claude-opus-4-1: 4.1
    return word, j + 1


def _tail(
    toks: list[_Tok], j: int, families: Families, skipped: bool = False
) -> tuple[list[str], str | None]:
    """Words after a version: the parts of the release key (product lines, a dated update,
    then a tier of its own: ``coder``, ``0528``, ``flash``), and a tier shipped together.
    ``skipped``: sizes or packaging came first, so unknown words are a repository's own."""
    lines: list[str] = []
    own: list[str] = []
    together = date = None
    for tok in toks[j : j + 8]:
        word = tok.text
        if tok.gap not in ("-", " "):
            break
        if word not in LINES and word not in TOGETHER and families.split(word) is not None:
            break
        if _MILLIONS.match(word):
            lines.append(word)
        elif any(p.match(word) for p in (_SIZE, _QUANT, _LONG_DATE)) or word in _PACKAGING:
            skipped = True
        elif _DATE.match(word):
            date = date or word
        elif word in TOGETHER:
            together = together or word
        elif word in OWN_TIERS:
            if word not in own and not skipped:
                own.append(word)  # Flash-Lite: both words name the tier
            # after sizes and packaging a tier is a host's word: Llama-3.3-70B-Instruct-Turbo
        elif word in LINES or _GLUED_LINE.match(word):
            lines.append(word)  # -VL, or -VL2: a line with its own version
        elif lines and lines[-1] in LINES and not own and re.fullmatch(r"\d+(?:\.\d+)?", word):
            lines[-1] += word  # DeepSeek-OCR-2, OCR 2: the line's own version
        elif not skipped and tok.gap == "-" and word.isalpha() and len(word) > 2:
            lines.append(word)  # "-Terminus", "-Next": a release line, right after a name
        else:
            break
    return [*lines, *([date] if date else []), *own], together


def _join(family: str, version: str) -> str:
    return f"{family}{version}" if family == "o" else f"{family}-{version}"


def _key_at(
    fam: Family, glued: str, toks: list[_Tok], i: int, families: Families
) -> tuple[str, str] | None:
    """(release, name) for the family mentioned at ``toks[i]``, if a version or line follows."""
    before: str | None = None
    packaged = False
    j = i + 1
    if glued:
        version: str | None = glued
    else:
        if j < len(toks) and toks[j].text in TOGETHER | OWN_TIERS | LINES:
            before, j = toks[j].text, j + 1  # Claude Opus 4.1, Nemotron-Nano-9B-v2
        start = j
        while (
            j < len(toks)
            and toks[j].gap == "-"
            and (_SIZE.match(toks[j].text) or toks[j].text in _PACKAGING)
        ):
            j += 1  # Mistral-7B-Instruct-v0.3 (and -SOTA after it is the uploader's word)
        packaged = j > start
        found = _version(toks, j, named=not fam.alias)
        version, j = found if found else (None, j)
    if version is None:
        parts, _together = _tail(toks, i + 1, families)
        nxt = toks[i + 1] if i + 1 < len(toks) else None
        # Qwen-Image, gpt-oss, LongCat-Flash-Lite; with a space only a known tier or line
        joined = nxt is not None and (
            nxt.gap == "-" or (nxt.gap == " " and nxt.text in OWN_TIERS | LINES)
        )
        if not fam.alias and joined and parts:
            release = "-".join([fam.name, *parts])
            return release, release  # Qwen-Image, gpt-oss
        return None
    parts, together = _tail(toks, j, families, packaged)
    if before in LINES:
        parts.insert(0, before)
    elif before in TOGETHER:
        together = together or before
    elif before in OWN_TIERS and before not in parts:
        parts.insert(len(parts) - sum(p in OWN_TIERS for p in parts), before)
    release = "-".join([_join(fam.name, version), *parts])
    return release, release + (f"-{together}" if together else "")


def _prefix(toks: list[_Tok], i: int, families: Families) -> list[str]:
    """Words joined to a family from before in a repository name: ``OpenReasoning-Nemotron``."""
    out: list[str] = []
    while i > 0 and toks[i].gap == "-" and toks[i - 1].text.isalpha():
        if families.split(toks[i - 1].text) is not None or toks[i - 1].text in _PACKAGING:
            break
        out.insert(0, toks[i - 1].text)
        i -= 1
    return out


def _another_tier(toks: list[_Tok], i: int, fam: Family, release: str, families: Families) -> bool:
    """Whether the text names, after ``toks[i]``, another tier of the version of ``release``."""
    for j in range(i + 1, len(toks)):
        found = families.split(toks[j].text)
        if found is None or found[0] != fam:
            continue
        other = _key_at(fam, found[1], toks, j, families)
        if other and other[0] != release and base_release(other[0]) == base_release(release):
            return True
    return False


def release_key(
    text: str,
    families: Families,
    org: str | None,
    *,
    repo: bool = False,
    announces: bool = False,
) -> ReleaseKey | None:
    """The release ``text`` is about, for an item whose primary organisation's root is ``org``.

    Only a family of that organisation gives a key (another lab's model named in passing
    never does). With no family and version in the text, a bare version (``V3.1``, ``R1``,
    ``K2``) is read as the organisation's: the family named in the text, else its usual one.
    ``repo`` says ``text`` is a hub repository name: a family alone (``QwQ-32B``) is a key.
    With ``org`` None (no organisation known), a family and version of any organisation
    says whose release it is: ``someone/DeepSeek-R1-GGUF`` packages DeepSeek's.
    ``announces`` says the item announces a model: then a product line named without a version
    (``Magistral``, ``QwQ``) is the key, unless it is the organisation's own name or its
    usual family (``DeepSeek``, ``GPT``: too many releases share those words).
    """
    toks = _tokens(text)
    named: str | None = None
    product: Family | None = None
    for i, tok in enumerate(toks):
        found = families.split(tok.text)
        if found is None or (found[0].org != org and (org is not None or found[0].alias)):
            continue
        fam, glued = found
        named = named or (fam.name if fam.org == org else None)
        key = _key_at(fam, glued, toks, i, families)
        if key is not None:
            base = base_release(key[0])
            if base != key[0] and _another_tier(toks, i, fam, key[0], families):
                how = "two tiers of one version named, so the version"
                return ReleaseKey(fam.org, base, base, how)  # Claude Opus 4 and Claude Sonnet 4
            return ReleaseKey(fam.org, key[0], key[1], FAMILY_AND_VERSION)
        if not fam.alias and (repo or (i + 1 < len(toks) and _SIZE.match(toks[i + 1].text))):
            if org is None and not repo:
                continue  # a family alone says too little of an item of no known organisation
            stem = "-".join([*(_prefix(toks, i, families) if repo else []), fam.name])
            return ReleaseKey(fam.org, stem, stem, "family named with a size")
        usual = fam.name in families.names or fam.name == families.default.get(fam.org)
        if announces and fam.org == org and not fam.alias and not glued and not usual:
            product = product or fam
    for fam, version in families.native_versions(text):
        if fam.org == org:
            release = _join(fam.name, version)
            return ReleaseKey(fam.org, release, release, f"{fam.name} {version} in its own script")
    family = named or (families.default.get(org) if org else None)
    if family is None or org is None:
        return None
    for i, tok in enumerate(toks):
        if _LETTER_VERSION.match(tok.text) and (i == 0 or tok.gap in (" ", "x")):
            parts, together = _tail(toks, i + 1, families)
            release = "-".join([f"{family}-{tok.text}", *parts])
            name = release + (f"-{together}" if together else "")
            how = f"bare version '{tok.text}' read as {org}'s {family}"
            return ReleaseKey(org, release, name, how)
    for i, tok in enumerate(toks[:-1]):
        # "Mistral AI launches Small 3.1": a tier of its own and a version, the family unsaid
        nxt = toks[i + 1]
        if tok.text in OWN_TIERS and nxt.gap == " " and re.fullmatch(r"\d+\.\d+", nxt.text):
            release = f"{family}-{nxt.text}-{tok.text}"
            how = f"tier and version '{tok.text} {nxt.text}' read as {org}'s {family}"
            return ReleaseKey(org, release, release, how)
    if product is not None:
        return ReleaseKey(org, product.name, product.name, "a model line named without a version")
    return None
