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
