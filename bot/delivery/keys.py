"""Delivery keys: one per message racewatch posts, derived from what the message holds.

A key is what a resend is checked against (a Discord nonce, Slack message metadata, a
webhook's ``delivery_key``), so it must be the same for the same message however often it
is retried, and different for a different message: a re-armed follow-up that lists new
coverage gets a new key, never the key of the reply it follows.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

# Discord nonces hold at most 25 characters; "rw-" + key + ".NN" must fit
HASH_CHARS = 16


def content_key(prefix: str, *parts: object) -> str:
    """``prefix`` plus a short hash of ``parts``: equal parts, equal key."""
    text = "\x1f".join(str(p) for p in parts)
    return prefix + hashlib.sha256(text.encode()).hexdigest()[:HASH_CHARS]


def alert_key(delivery_id: int) -> str:
    """An alert row posts one message, ever."""
    return f"a{delivery_id}"


def update_key(delivery_id: int, item_id: int) -> str:
    """A follow-up row is re-armed with the newest coverage item: each arming is a new
    message, so the item it was armed with is part of its key."""
    return f"u{delivery_id}.{item_id}"


def batch_key(kind: str, delivery_ids: Iterable[int]) -> str:
    """A roll-up or digest: the rows it stands for, whatever order they came in."""
    return content_key(kind[:1], kind, *sorted(delivery_ids))


def notice_key(text: str) -> str:
    return content_key("n", text)


def part_key(key: str, index: int) -> str:
    """The key of the ``index``-th message of a message split to fit platform limits; the
    first part keeps the key itself."""
    return key if index == 0 else f"{key}.{index}"
