"""Untrusted text made safe to keep and to show: neutral helpers used from ingest to terminal.

- :func:`storable` drops what a store refuses or should never hold in an id: NUL (PostgreSQL
  refuses it in ``text`` and ``jsonb``), lone surrogates (not encodable as UTF-8) and the
  other control characters.
- :func:`visible` also drops invisible and bidirectional-control characters (zero-width
  spaces, RLO/LRI overrides, fillers, tag characters), which can disguise a title.
- :func:`terminal_line` is :func:`visible` for a terminal: no ESC, no C1 controls, so a feed
  cannot clear the screen, set the window title or hide a hyperlink.
- :func:`normalise_url` turns a link from a feed into an RFC 3986 http(s) URI, or ``None``.
"""

from __future__ import annotations

import re
from urllib.parse import quote, urlsplit, urlunsplit

# C0 controls except TAB and LF, DEL, C1 controls, lone surrogates, non-characters.
_CONTROLS = "\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff"
# Format and filler characters that render as nothing, and the bidirectional controls.
# ZWNJ/ZWJ (U+200C/D) are kept: Persian, Indic scripts and emoji sequences need them.
_INVISIBLE = (
    "\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b\u200e\u200f"
    "\u202a-\u202e\u2060-\u206f\u3164\ufe00-\ufe0e\ufeff\uffa0\ufff9-\ufffb"
    "\U0001d173-\U0001d17a\U000e0000-\U000e007f"
)
_NOT_STORABLE = re.compile(f"[{_CONTROLS}]")
_NOT_VISIBLE = re.compile(f"[{_CONTROLS}{_INVISIBLE}]")
_NOT_VISIBLE_LINE = re.compile(f"[\t\n{_CONTROLS}{_INVISIBLE}]")


def storable(text: str) -> str:
    """``text`` without NUL, other control characters (TAB and LF stay) or lone surrogates."""
    return _NOT_STORABLE.sub("", text) if _NOT_STORABLE.search(text) else text


def visible(text: str) -> str:
    """:func:`storable`, and without invisible or bidirectional-control characters."""
    return _NOT_VISIBLE.sub("", text) if _NOT_VISIBLE.search(text) else text


def terminal_line(text: str) -> str:
    """One line safe for a terminal: no escape sequences, controls or invisible characters;
    TAB and LF become spaces."""
    if not _NOT_VISIBLE_LINE.search(text):
        return text
    return _NOT_VISIBLE.sub("", text.replace("\t", " ").replace("\n", " "))


# RFC 3986 characters allowed as they are in each part (``%`` is handled separately).
_UNRESERVED_SUB = "-._~!$&'()*+,;="
_PATH_SAFE = _UNRESERVED_SUB + ":@/"
_QUERY_SAFE = _PATH_SAFE + "?"
_HOST = re.compile(r"[a-z0-9_-]+(\.[a-z0-9_-]+)*\.?")  # DNS names as hosts have them
_BAD_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")
_WHITESPACE_EDGES = "".join(chr(c) for c in range(0x21))
MAX_URL = 2000
# A URI already in the form normalise_url gives (lower-case http(s) scheme and DNS host, no
# port or credentials, only characters each part keeps as they are, %XX escapes, no empty
# query or fragment): returned as it is, without taking it apart. Most feed links are.
_PCHARS = r"[A-Za-z0-9\-._~!$&'()*+,;=:@/%]"  # and each % starts an escape (_BAD_PERCENT)
_QCHARS = r"[A-Za-z0-9\-._~!$&'()*+,;=:@/?%]"
_NORMAL = re.compile(
    rf"https?://[a-z0-9_-]+(?:\.[a-z0-9_-]+)*\.?(?:/{_PCHARS}*)?(?:\?{_QCHARS}+)?(?:#{_QCHARS}+)?"
)


def _already_normal(url: str) -> bool:
    return (
        len(url) <= MAX_URL
        and _NORMAL.fullmatch(url) is not None
        and ("%" not in url or _BAD_PERCENT.search(url) is None)
    )


def _encode(part: str, safe: str) -> str:
    """Percent-encode what must be; existing ``%XX`` escapes stay, a stray ``%`` is encoded."""
    return quote(_BAD_PERCENT.sub("%25", part), safe=safe + "%")


def _host(hostname: str) -> str | None:
    if ":" in hostname:  # an IPv6 literal; urlsplit has checked its brackets
        return f"[{hostname}]" if re.fullmatch(r"[0-9a-f:.]+", hostname) else None
    if not hostname.isascii():
        try:
            hostname = hostname.encode("idna").decode("ascii")
        except UnicodeError:
            return None
    return hostname if _HOST.fullmatch(hostname) else None


def normalise_url(url: str | None) -> str | None:
    """``url`` as an absolute http(s) URI (RFC 3986), or ``None`` when it cannot be one.

    TAB, CR and LF are removed anywhere and other controls and invisible characters too
    (browsers do the same with the first three); spaces, quotes, angle brackets, backslashes
    and non-ASCII characters in the path, query and fragment are percent-encoded; a
    non-ASCII host becomes IDNA. Refused: other schemes, no host, a port outside 1-65535,
    a backslash or stray character in the authority (``http://a.com\\@b.com`` goes to a
    different host in a browser than in a parser). Credentials in a link are dropped: a
    feed has no business sending them, and ``https://trusted.example@evil.example`` is a
    known disguise.
    """
    if not url or not isinstance(url, str):
        return None
    if _already_normal(url):
        return url
    return _normalise(url)


def _normalise(url: str) -> str | None:
    text = visible(url.replace("\t", "").replace("\n", "").replace("\r", ""))
    text = text.strip(_WHITESPACE_EDGES)
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:  # a port out of range or not a number, or a broken IPv6 literal
        return None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.hostname or "\\" in parts.netloc:
        return None
    if port is not None and not 1 <= port <= 65535:
        return None
    host = _host(parts.hostname)
    if host is None:
        return None
    netloc = host if port is None else f"{host}:{port}"
    normal = urlunsplit(
        (
            scheme,
            netloc,
            _encode(parts.path, _PATH_SAFE),
            _encode(parts.query, _QUERY_SAFE),
            _encode(parts.fragment, _QUERY_SAFE),
        )
    )
    return normal if len(normal) <= MAX_URL else None


# Chinese, Japanese kana and Korean: scripts written without spaces between words
_CJK_RUN = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff\uac00-\ud7af]+")


def cjk_bigrams(text: str) -> list[str]:
    """Overlapping character pairs of each CJK run ("出口管制" -> 出口 口管 管制); a run of
    one character is kept whole. Full-text indexes split text at spaces, which Chinese
    does not have: indexed as pairs, any word of two or more characters can be found."""
    out: list[str] = []
    for run in _CJK_RUN.findall(text):
        out += [run] if len(run) == 1 else [run[i : i + 2] for i in range(len(run) - 1)]
    return out


def cjk_index_text(*fields: str) -> str | None:
    """What the store indexes for text with CJK in it: the pairs of every field, then the
    fields with their CJK taken out ("千问Qwen3" indexes qwen3, which a full-text tokenizer
    would not split from the Chinese before it); None for text with no CJK."""
    pairs = [p for f in fields for p in cjk_bigrams(f)]
    if not pairs:
        return None
    rest = " ".join(_CJK_RUN.sub(" ", f) for f in fields)
    return " ".join([*pairs, *rest.split()])


def counted(n: int, noun: str) -> str:
    """``1 item``, ``2 items``: a count and its regular plural, as a person writes them."""
    return f"{n} {noun}{'' if n == 1 else 's'}"
