"""Canonical URLs: one spelling per page, so the same article from two feeds is one item."""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

_TRACKING = re.compile(
    r"^(utm_\w+|fbclid|gclid|dclid|msclkid|mc_cid|mc_eid|igshid|ref|ref_src|ref_url|source|"
    r"cmpid|ncid|sr_share|spm|scm|share_token|from|rss|feed|_ga|_gl|yclid|mkt_tok|guccounter|"
    r"guce_referrer|guce_referrer_sig|output|amp|outputtype)$",
    re.IGNORECASE,
)
_AMP_PATH = re.compile(r"(/amp/?$|/amp(?=/)|\.amp(?=\.html?$)|\.amp$)", re.IGNORECASE)


def canonical_url(url: str | None) -> str | None:
    """Lower-case scheme and host, no ``www.``, no tracking parameters, AMP or fragment.

    Returns ``None`` for anything that is not an http(s) URL. The path keeps its case
    (paths are case-sensitive on many servers) but loses a trailing slash.
    """
    if not url:
        return None
    try:
        parts = urlsplit(url.strip())
        host = (parts.hostname or "").lower().rstrip(".")
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not host:
        return None
    if host.startswith("www."):
        host = host[4:]
    if host.startswith("amp."):
        host = host[4:]
    if (scheme, port) in (("http", 80), ("https", 443)):
        port = None
    netloc = f"{host}:{port}" if port else host
    path = _AMP_PATH.sub("", parts.path) or "/"
    path = re.sub(r"/{2,}", "/", path)
    if len(path) > 1:
        path = path.rstrip("/")
    query = sorted(
        (k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _TRACKING.match(k)
    )
    return urlunsplit(("https", netloc, path, urlencode(query), ""))
