"""Watch rules managed from chat, stored in the database and validated like file rules."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
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


class RuleExists(Exception):
    """A chat rule with this name is stored already (perhaps added a moment ago elsewhere)."""


def chat_rule_names(session: Session) -> set[str]:
    return set(session.scalars(select(ChatRule.name)))


def count_chat_rules(session: Session, workspace: str) -> int:
    """Chat rules created from one workspace or guild (``created_by`` starts with it)."""
    return int(
        session.scalar(
            select(func.count())
            .select_from(ChatRule)
            .where(ChatRule.created_by.startswith(f"{workspace}/", autoescape=True))
        )
        or 0
    )


def add_chat_rule(
    session: Session, name: str, body: dict[str, Any], created_by: str, now: datetime
) -> None:
    """Store a chat rule; ``RuleExists`` when the name is taken, even by a concurrent add."""
    if session.scalar(select(ChatRule.name).where(ChatRule.name == name)) is not None:
        raise RuleExists(name)
    try:
        with session.begin_nested():
            session.add(ChatRule(name=name, body=body, created_by=created_by[:120], created_at=now))
    except IntegrityError:
        raise RuleExists(name) from None


def remove_chat_rule(session: Session, name: str) -> bool:
    result = session.execute(delete(ChatRule).where(ChatRule.name == name))
    return bool(getattr(result, "rowcount", 0))
