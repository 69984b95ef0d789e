"""Long answers in pages: the first page is sent with Next/Previous buttons, the rest wait
here (in memory, for 15 minutes, the life of a Discord interaction) until a button asks.

Neutral: each adapter renders a :class:`Paged` and its buttons in its own way; a button
carries ``key:index``.
"""

from __future__ import annotations

import secrets
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, replace

from bot.commands.reply import Reply

PAGE_CHARS = 3_500  # fits one Discord embed (4,096) and a few Slack sections
KEEP = 500
TTL = 900.0


@dataclass(frozen=True)
class Paged:
    reply: Reply  # this page's lines, its title saying which page of how many
    key: str
    index: int
    count: int

    def button(self, index: int) -> str | None:
        """The value of a button to page ``index``, or None when there is no such page."""
        return f"{self.key}:{index}" if self.count > 1 and 0 <= index < self.count else None


class Pager:
    def __init__(
        self,
        size: int = PAGE_CHARS,
        keep: int = KEEP,
        ttl: float = TTL,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.size, self.keep, self.ttl, self.clock = size, keep, ttl, clock
        self._kept: OrderedDict[str, tuple[float, Reply, int]] = OrderedDict()

    def first(self, reply: Reply) -> Paged:
        """Page 1 of ``reply``; when there are more, the whole reply is kept for the buttons."""
        pages = reply.pages(self.size)
        if len(pages) <= 1:
            return Paged(reply, "", 0, 1)
        key = secrets.token_urlsafe(8)
        self._kept[key] = (self.clock(), reply, len(pages))
        while len(self._kept) > self.keep:
            self._kept.popitem(last=False)
        return self._page(key, reply, 0)

    def get(self, value: str) -> Paged | None:
        """The page a button's ``key:index`` asks for, or None when it has expired."""
        key, _, index = value.rpartition(":")
        kept = self._kept.get(key)
        if kept is None or self.clock() - kept[0] > self.ttl or not index.isdigit():
            return None
        return self._page(key, kept[1], min(int(index), kept[2] - 1))

    def _page(self, key: str, reply: Reply, index: int) -> Paged:
        pages = reply.pages(self.size)
        total = len(reply.lines)
        title = f"{reply.title} · page {index + 1} of {len(pages)} ({total} lines)"
        page = replace(
            reply,
            title=title,
            lines=pages[index],
            image=reply.image if index == 0 else None,
        )
        return Paged(page, key, index, len(pages))
