"""What a user asked, typed: one frozen dataclass per command.

The chat adapters (and the CLI) build these from their own input: Discord from its typed
options, Slack from the command text (:mod:`bot.commands.text`), the CLI from its arguments.
The handlers take them as they are and never re-guess what a word meant.

Usage from any front end::

    reply = await commands.run(Latest(country="CN", n=5), Caller("cli:me", is_admin=True))

``ADMIN`` requests change something or run a dry run over stored items; ``EXPENSIVE`` ones
are rate-limited per user.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

WINDOWS = {"7d": 7, "30d": 30, "90d": 90, "365d": 365}


@dataclass(frozen=True)
class Caller:
    """Who asks: ``user`` as ``platform:id``, and the workspace or guild it asks from."""

    user: str
    is_admin: bool = False
    workspace: str = ""


@dataclass(frozen=True)
class Request:
    admin: ClassVar[bool] = False
    expensive: ClassVar[bool] = False
    name: ClassVar[str] = ""


@dataclass(frozen=True)
class Latest(Request):
    """The newest flagged releases; ``org`` is an organisation name or id as typed."""

    name: ClassVar[str] = "latest"
    country: str | None = None
    org: str | None = None
    kind: str | None = None
    n: int = 5


@dataclass(frozen=True)
class Search(Request):
    name: ClassVar[str] = "search"
    expensive: ClassVar[bool] = True
    text: str = ""


@dataclass(frozen=True)
class Gap(Request):
    name: ClassVar[str] = "gap"
    expensive: ClassVar[bool] = True
    window: str = "30d"


@dataclass(frozen=True)
class GapCapability(Request):
    """The capability gap on one LMArena arena: best US model against best Chinese model."""

    name: ClassVar[str] = "gap capability"
    expensive: ClassVar[bool] = True
    arena: str = "text"
    window: str = "90d"


@dataclass(frozen=True)
class OrgInfo(Request):
    name: ClassVar[str] = "org"
    query: str = ""


@dataclass(frozen=True)
class Why(Request):
    name: ClassVar[str] = "why"
    item: str = ""


@dataclass(frozen=True)
class WatchList(Request):
    name: ClassVar[str] = "watch list"


@dataclass(frozen=True)
class WatchAdd(Request):
    """``fields`` holds the rule's conditions and actions as typed: ``{"country": "CN",
    "notify": "ai-race", "digest": "0 9 * * 1-5"}``; validated like a rule file."""

    name: ClassVar[str] = "watch add"
    admin: ClassVar[bool] = True
    rule: str = ""
    fields: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class WatchRemove(Request):
    name: ClassVar[str] = "watch remove"
    admin: ClassVar[bool] = True
    rule: str = ""


@dataclass(frozen=True)
class WatchTest(Request):
    """A dry run of conditions over the items stored in the last 7 days."""

    name: ClassVar[str] = "watch test"
    admin: ClassVar[bool] = True
    expensive: ClassVar[bool] = True
    fields: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class WatchPreview(Request):
    """How a rule's alert looks: the newest stored item it matches, shown privately as the
    destination would show it. Open to everyone: it only reads, under a time limit."""

    name: ClassVar[str] = "watch preview"
    expensive: ClassVar[bool] = True
    rule: str = ""


@dataclass(frozen=True)
class SourcesList(Request):
    name: ClassVar[str] = "sources list"


@dataclass(frozen=True)
class SourceStatus(Request):
    name: ClassVar[str] = "sources status"
    source: str = ""


@dataclass(frozen=True)
class SourceAdd(Request):
    name: ClassVar[str] = "sources add"
    admin: ClassVar[bool] = True
    source: str = ""
    url: str = ""
    backfill: int = 0  # the first poll's N newest items go through the rules as if new


@dataclass(frozen=True)
class SourceRemove(Request):
    name: ClassVar[str] = "sources remove"
    admin: ClassVar[bool] = True
    source: str = ""


@dataclass(frozen=True)
class SourceResume(Request):
    name: ClassVar[str] = "sources resume"
    admin: ClassVar[bool] = True
    source: str = ""


@dataclass(frozen=True)
class DestinationsList(Request):
    """Each destination's state: sending, or broken with its last refusal (admins)."""

    name: ClassVar[str] = "destinations"
    admin: ClassVar[bool] = True


@dataclass(frozen=True)
class DestinationResume(Request):
    """Send to a broken destination again, once its token, channel or access is fixed."""

    name: ClassVar[str] = "destinations resume"
    admin: ClassVar[bool] = True
    destination: str = ""


@dataclass(frozen=True)
class DigestShow(Request):
    name: ClassVar[str] = "digest"


@dataclass(frozen=True)
class DigestNow(Request):
    name: ClassVar[str] = "digest now"
    admin: ClassVar[bool] = True


@dataclass(frozen=True)
class Help(Request):
    name: ClassVar[str] = "help"
    topic: str | None = None


@dataclass(frozen=True)
class Page(Request):
    """Page ``page`` (0-based) of an earlier long answer, by its key (the paging buttons)."""

    name: ClassVar[str] = "page"
    key: str = ""
    page: int = 0
