"""What every destination implements, and the error that sorts failures into kinds."""

from __future__ import annotations

from typing import Protocol

from bot.alerts.card import AlertCard, Digest, StoryUpdate
from bot.alerts.report import RaceReport
from bot.errors import RacewatchError


class DeliveryError(RacewatchError):
    """Sending failed. ``permanent`` marks the destination broken (bad token, unknown
    channel); ``rejected`` says the platform refused this one message (its form, its size)
    while the destination itself is fine; otherwise the delivery is retried, no sooner than
    ``retry_after`` seconds. ``uncertain`` says the platform may have posted it all the same
    (a timeout or a reset after the request went out, a 5xx after a slow answer, a check for
    an earlier post that could not be made): the next attempt looks before it posts."""

    def __init__(
        self,
        message: str,
        *,
        permanent: bool = False,
        retry_after: float | None = None,
        rejected: bool = False,
        uncertain: bool = False,
    ):
        super().__init__(message)
        self.permanent = permanent
        self.retry_after = retry_after
        self.rejected = rejected
        self.uncertain = uncertain


class Sender(Protocol):
    name: str

    async def send(self, card: AlertCard, key: str = "", uncertain: bool = False) -> str | None:
        """Post the alert; return the platform's message id when there is one.

        ``key`` identifies the delivery. ``uncertain`` means an earlier attempt may have posted
        it before its process died: a sender that can look (Discord nonces, Slack message
        metadata, the JSONL file) returns the earlier message instead of posting twice.
        """

    async def send_update(
        self, update: StoryUpdate, key: str = "", uncertain: bool = False
    ) -> str | None:
        """Post later coverage in the alert's thread (or edit it); return a message id."""

    async def send_digest(
        self, digest: Digest, key: str = "", uncertain: bool = False
    ) -> str | None:
        """Post held alerts together (a digest or a roll-up), every one of them listed, in as
        many messages as the platform's limits need; return the first message's id.

        Each part is keyed (``keys.part_key``) and, when ``uncertain``, looked for first."""

    async def send_report(self, report: RaceReport) -> str | None:
        """Post the weekly state-of-the-race report (sections and one chart)."""

    async def notice(self, text: str) -> None:
        """Post a plain operator notice (a source paused, a destination broken), keyed by its
        text (``keys.notice_key``) so a platform that dedupes by key drops a repeat."""

    async def close(self) -> None: ...
