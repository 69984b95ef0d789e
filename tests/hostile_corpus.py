"""Hostile input, kept in one place: what feeds, servers and settings files have been seen
to send (or could), and generators for the large cases. The tests in test_hostile_*.py run
every entry through the part of racewatch it attacks."""

from __future__ import annotations

import json
from typing import Any

# Links a feed can carry. Each once made Discord refuse a message ("Not a well formed URL"),
# hid a second link, or reached the store with a character it refuses.
HOSTILE_LINKS = [
    "https://example.com/a\nb",
    "https://example.com/a\tb",
    "https://example.com/a\rb",
    "https://example.com/\x1b[2Jcleared",
    "https://example.com/nul\x00here",
    "https://example.com/back\\slash",
    "http://example.com\\@evil.example/",
    "https://example.com:99999/port",
    "https://example.com:0/port",
    "https://example.com:-1/port",
    "https://example.com:8o/port",
    "https://example.com/sp ace?q=a b#frag ment",
    'https://example.com/"quoted"<angle>{brace}|pipe^caret`tick',
    "https://example.com/)[click here](https://evil.example)",
    "https://example.com/%zz%4",
    "https://user:secret@example.com/creds",
    "https://trusted.example@evil.example/",
    "https://bücher.example/straße?q=中文",
    "https://example.com/\u202eexe.txt",
    "https://example.com/\ud800lone-surrogate",
    "http://[::1/broken-ipv6",
    "https://exa mple.com/space-in-host",
    "https://example.com/" + "a" * 5000,
    "javascript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "file:///etc/passwd",
    "  https://example.com/edges\x01\x02  ",
    "https:",
    "",
]

# Text that attacks whoever displays it: terminals (escape sequences), rich (markup),
# readers (bidi overrides, invisible characters), chat (markdown, mentions).
HOSTILE_TEXT = [
    "screen \x1b[2J\x1b[H cleared",
    "title \x1b]0;pwned\x07 changed",
    "hidden \x1b]8;;https://evil.example\x1b\\link\x1b]8;;\x1b\\ here",
    "c1 \x9b31m csi",
    "[bold red]markup[/] and [link=https://evil.example]x[/link]",
    "[/]",
    "bidi \u202egnp.exe\u202c and \u2066isolate\u2069",
    "zero\u200bwidth\u2060joiner\ufeffbom\u00adsoft",
    "filler \u3164\u115f hangul",
    "nul \x00 byte",
    "@everyone <@&123> <!channel> *bold* _it_ ~strike~ `code` > quote",
]


def json_feed(items: list[dict[str, Any]]) -> bytes:
    """A JSON Feed 1.1 document (it carries characters XML cannot, such as NUL)."""
    return json.dumps(
        {"version": "https://jsonfeed.org/version/1.1", "title": "hostile", "items": items}
    ).encode()


def many_entries_rss(count: int) -> bytes:
    """An RSS document with ``count`` distinct entries."""
    items = "".join(
        f"<item><title>Entry {i}</title><guid>e{i}</guid>"
        f"<link>https://example.com/{i}</link></item>"
        for i in range(count)
    )
    return (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>big</title>{items}'
        "</channel></rss>"
    ).encode()


def yaml_alias_bomb(levels: int = 9, width: int = 9) -> str:
    """The "billion laughs" of YAML: each level repeats the previous one ``width`` times."""
    lines = ["a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for level in range(1, levels):
        refs = ", ".join([f"*a{level - 1}"] * width)
        lines.append(f"a{level}: &a{level} [{refs}]")
    return "\n".join(lines) + "\n"


def gzip_bomb(size: int = 64 * 1024 * 1024) -> bytes:
    """``size`` zero bytes, gzip-compressed to about a thousandth of that."""
    import gzip

    return gzip.compress(b"\0" * size, compresslevel=9)


def raw_deflate_bomb(size: int = 64 * 1024 * 1024) -> bytes:
    """The same as raw deflate (no zlib header), as some servers send ``deflate``."""
    import zlib

    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    chunk = b"\0" * (1024 * 1024)
    return b"".join(packer.compress(chunk) for _ in range(size // len(chunk))) + packer.flush()


def billion_laughs_xml(levels: int = 9) -> bytes:
    entities = ['<!ENTITY l0 "lol">'] + [
        f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, levels + 1)
    ]
    return (
        f'<?xml version="1.0"?><!DOCTYPE rss [{"".join(entities)}]>'
        f'<rss version="2.0"><channel><title>&l{levels};</title><item><title>x</title>'
        "<guid>x</guid></item></channel></rss>"
    ).encode()


def nested_json(depth: int = 200_000) -> bytes:
    return (
        b'{"version": "https://jsonfeed.org/version/1", "items": '
        + b"[" * depth
        + b"]" * depth
        + b"}"
    )


def hostile_rss() -> bytes:
    """An RSS feed whose entries carry every hostile link and text of this corpus."""
    from xml.sax.saxutils import escape

    def xml_safe(text: str) -> str:  # XML 1.0 cannot carry most C0 controls at all
        kept = (c for c in text if c in "\t\n\r" or ord(c) >= 0x20)
        return escape("".join(c for c in kept if not 0xD800 <= ord(c) <= 0xDFFF))

    items = "".join(
        f"<item><title>{xml_safe(HOSTILE_TEXT[i % len(HOSTILE_TEXT)])} {i}</title>"
        f"<guid>h{i}</guid><link>{xml_safe(link)}</link>"
        f"<description>{xml_safe(HOSTILE_TEXT[(i + 3) % len(HOSTILE_TEXT)])}</description>"
        "</item>"
        for i, link in enumerate(HOSTILE_LINKS)
    )
    return (
        f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>t</title>'
        f"{items}</channel></rss>"
    ).encode()


def hostile_bodies() -> dict[str, tuple[bytes, dict[str, str]]]:
    """Each hostile response a feed server can give: body and headers, by name."""
    author = "a" * 32_000 + "@"
    return {
        "gzip-bomb": (gzip_bomb(), {"Content-Encoding": "gzip"}),
        "raw-deflate-bomb": (raw_deflate_bomb(), {"Content-Encoding": "deflate"}),
        "not-gzip": (b"<rss>plain text sent as gzip</rss>", {"Content-Encoding": "gzip"}),
        "brotli": (b"\x1b\x00\x00", {"Content-Encoding": "br"}),
        "billion-laughs": (billion_laughs_xml(), {}),
        "xxe": (
            b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
            b'<rss version="2.0"><channel><title>&x;</title><item><title>&x;</title>'
            b"<guid>x</guid></item></channel></rss>",
            {},
        ),
        "truncated": (b'<?xml version="1.0"?><rss version="2.0"><channel><title>cut', {}),
        "binary": (bytes(range(256)) * 64, {"Content-Type": "application/octet-stream"}),
        "html": (b"<!doctype html><html><body>not a feed</body></html>", {}),
        "deep-json": (nested_json(), {"Content-Type": "application/feed+json"}),
        "json-nul-and-surrogates": (
            json_feed(
                [
                    {"id": "a\x00b", "title": "nul\x00 \ud800 title", "url": "https://e.org/\x00"},
                    {"id": "d", "title": "date", "date_published": "9999-12-31T23:59:59-01:00"},
                    {"id": "t", "title": "types", "tags": {"a": 1}, "authors": 5, "url": 7},
                ]
            ),
            {},
        ),
        "too-many-entries": (many_entries_rss(650), {}),
        "hostile-links-and-text": (hostile_rss(), {}),
        "author-redos": (
            (
                '<?xml version="1.0"?><rss version="2.0"><channel><title>t</title><item>'
                f"<title>x</title><guid>g</guid><author>{author}</author></item></channel></rss>"
            ).encode(),
            {},
        ),
        "wrong-charset": (
            '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>t</title>'
            "<item><title>caf\u00e9 \u6a21\u578b</title><guid>c</guid></item></channel></rss>".encode(
                "gb18030"
            ),
            {},
        ),
    }
