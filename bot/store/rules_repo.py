"""Watch rules managed from chat, stored in the database and validated like file rules."""

from __future__ import annotations

import logging

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.rules.model import Rule
from bot.store.schema import ChatRule

log = logging.getLogger(__name__)


def chat_rules(session: Session) -> list[Rule]:
    """Every stored chat rule that still validates (a newer rule language may reject an old
    one: it is logged and skipped, never silently half-applied)."""
    rules = []
    for row in session.scalars(select(ChatRule).order_by(ChatRule.created_at)):
        try:
            rules.append(Rule.model_validate(row.body))
        except ValidationError as exc:
            log.error("chat rule %s no longer validates and is ignored: %s", row.name, exc)
    return rules
