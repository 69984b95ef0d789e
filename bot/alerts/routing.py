"""How a matched alert is queued: the decision, apart from the writing.

:func:`disposition` says when a new alert goes out (now, after the rule's quiet hours, or held
for its digest when the rule is a digest rule or over its cap). :class:`Routing` applies it to
one batch: one alert row per story and destination, or the re-armed update of an alert
already sent. The rows are written by ``bot/store`` in the ingest transaction.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from bot.rules.model import Rule
from bot.rules.timing import quiet_until
from bot.store import items_repo
from bot.store.items_repo import Queued, StoredItem
from bot.store.schema import Delivery


def disposition(rule: Rule, sent_last_hour: int, sent_last_day: int, now: datetime) -> Queued:
    """How a new alert is queued: now; after quiet hours; or held for the rule's digest
    (digest rules, and a cap's overflow). High priority ignores quiet hours."""
    if rule.mode == "digest":
        return Queued("held", now, rule.priority_rank, rule.name)
    if (rule.cap_per_hour and sent_last_hour >= rule.cap_per_hour) or (
        rule.cap_per_day and sent_last_day >= rule.cap_per_day
    ):
        return Queued("held", now, rule.priority_rank, rule.name)
    quiet = None if rule.priority == "high" else quiet_until(now, rule.quiet_hours, rule.timezone)
    return Queued("pending", quiet or now, rule.priority_rank)


class Routing:
    """One batch's outbox decisions: which (story, destination) pairs already have an alert
    queued, and each capped rule's count, read once and then kept up to date in memory."""

    def __init__(self, session: Session, alerts: dict[tuple[int, str], Delivery]) -> None:
        self.session, self.alerts = session, alerts
        self.queued: set[tuple[int, str]] = set()
        self.rows: list[dict[str, object]] = []
        self.updates = 0
        self._counts: dict[tuple[str, str], list[int]] = {}

    def counts(self, rule: Rule, destination: str, now: datetime) -> list[int]:
        key = (rule.name, destination)
        if key not in self._counts:
            self._counts[key] = [
                items_repo.count_recent_alerts(self.session, rule.name, destination, now - span)
                for span in (timedelta(hours=1), timedelta(days=1))
            ]
        return self._counts[key]

    def route(
        self, item: StoredItem, rule: Rule, destination: str, now: datetime, new_story: bool
    ) -> None:
        """Queue the story's alert for one destination, or arm an update of the one sent."""
        story_id = item.story_id
        alert = None if new_story else self.alerts.get((story_id, destination))
        if alert is not None:
            self.updates += items_repo.arm_update(self.session, alert, item, now)
            return
        if (story_id, destination) in self.queued:  # an earlier item of this batch has it
            return
        self.queued.add((story_id, destination))
        hour_day = [0, 0]
        if rule.cap_per_hour or rule.cap_per_day:
            hour_day = self.counts(rule, destination, now)
        how = disposition(rule, hour_day[0], hour_day[1], now)
        if how.status != "held" and (rule.cap_per_hour or rule.cap_per_day):
            hour_day[0] += 1
            hour_day[1] += 1
        self.rows.append(items_repo.alert_row(item, rule.name, destination, rule.mention, now, how))
