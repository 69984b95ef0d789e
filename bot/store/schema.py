"""Tables. Schedule, caching and delivery state all live here, so any process can pick up work."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC in and out, on SQLite (which stores naive text) as on PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store; use UTC-aware datetimes")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime,
        dict[str, Any]: JSON,
        list[Any]: JSON,
    }


class Source(Base):
    __tablename__ = "sources"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    type: Mapped[str] = mapped_column(String(20))
    url: Mapped[str] = mapped_column(Text)
    spec: Mapped[dict[str, Any]] = mapped_column(default=dict)
    origin: Mapped[str] = mapped_column(String(10), default="config")  # config | chat
    trusted: Mapped[bool] = mapped_column(Boolean, default=True)
    status: Mapped[str] = mapped_column(String(10), default="active")  # active | paused | removed
    paused_reason: Mapped[str | None] = mapped_column(Text)
    interval_s: Mapped[float] = mapped_column(Float)
    next_poll_at: Mapped[datetime] = mapped_column(index=True)
    etag: Mapped[str | None] = mapped_column(Text)
    last_modified: Mapped[str | None] = mapped_column(Text)
    content_hash: Mapped[str | None] = mapped_column(String(64))
    failure_count: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    last_error_at: Mapped[datetime | None]
    last_success_at: Mapped[datetime | None]
    last_polled_at: Mapped[datetime | None]
    baseline_done: Mapped[bool] = mapped_column(Boolean, default=False)
    # what the last poll that read the feed had to say besides errors (entries dropped, ...)
    notice: Mapped[str | None] = mapped_column(Text)
    items_seen: Mapped[int] = mapped_column(Integer, default=0)
    lease_owner: Mapped[str | None] = mapped_column(String(80))
    lease_until: Mapped[datetime | None]


class Story(Base):
    __tablename__ = "stories"

    id: Mapped[int] = mapped_column(primary_key=True)
    release_key: Mapped[str | None] = mapped_column(String(200), index=True)
    org: Mapped[str | None] = mapped_column(String(80))  # root organisation of the release
    title: Mapped[str] = mapped_column(Text)
    first_item_id: Mapped[int | None] = mapped_column(Integer)
    item_count: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(index=True)
    updated_at: Mapped[datetime]


class ReleaseDay(Base):
    """Stories per day, by the classification of the item that started each one.

    Kept up to date by ingest, in the same transaction, so the gap reads a few hundred rows
    at any store size instead of grouping every item in its window. A story counts on the
    day its first item was published (UTC); re-uploads of others' models (derivatives) and
    items with no country are not counted.
    """

    __tablename__ = "release_days"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    country: Mapped[str] = mapped_column(String(2), primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), primary_key=True)
    open_weights: Mapped[str] = mapped_column(String(8), primary_key=True)
    org: Mapped[str] = mapped_column(String(80), primary_key=True)  # "" when none
    stories: Mapped[int] = mapped_column(Integer)


class ReleaseMonth(Base):
    """``release_days`` summed per calendar month (UTC): a long gap window reads its whole
    months here and only its partial months' days there. Kept by ingest with the days."""

    __tablename__ = "release_months"

    month: Mapped[date] = mapped_column(Date, primary_key=True)  # its first day
    country: Mapped[str] = mapped_column(String(2), primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), primary_key=True)
    open_weights: Mapped[str] = mapped_column(String(8), primary_key=True)
    org: Mapped[str] = mapped_column(String(80), primary_key=True)  # "" when none
    stories: Mapped[int] = mapped_column(Integer)


class ItemDay(Base):
    """Items stored per day of publication (UTC): the gap's "items stored in the window"
    without counting a year of items. Kept by ingest."""

    __tablename__ = "item_days"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    items: Mapped[int] = mapped_column(Integer)


class ReleaseModality(Base):
    """Release stories of the main countries per calendar month of their start (UTC), by
    modality group: what ``gap`` shows as "what they are", a few dozen rows a year.

    Kept by ingest in the same transaction as the stories (as ``release_days``)."""

    __tablename__ = "release_modalities"

    month: Mapped[date] = mapped_column(Date, primary_key=True)  # its first day
    country: Mapped[str] = mapped_column(String(2), primary_key=True)
    modality: Mapped[str] = mapped_column(String(20), primary_key=True)
    stories: Mapped[int] = mapped_column(Integer)


class ReleaseSize(Base):
    """Open-weights release stories of the main countries per month of their start, by size
    in billions of parameters: what the median size is read from."""

    __tablename__ = "release_sizes"

    month: Mapped[date] = mapped_column(Date, primary_key=True)
    country: Mapped[str] = mapped_column(String(2), primary_key=True)
    params: Mapped[float] = mapped_column(Float, primary_key=True)  # billions
    stories: Mapped[int] = mapped_column(Integer)


class BoardEntry(Base):
    """One model's line on one arena's leaderboard as published on one day (LMArena)."""

    __tablename__ = "board_entries"

    arena: Mapped[str] = mapped_column(String(40), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    model: Mapped[str] = mapped_column(String(200), primary_key=True)
    organization: Mapped[str | None] = mapped_column(String(200))  # as the board writes it
    org_id: Mapped[str | None] = mapped_column(String(80))  # the registry's, when resolved
    country: Mapped[str | None] = mapped_column(String(2))
    score: Mapped[float] = mapped_column(Float)
    lower: Mapped[float | None] = mapped_column(Float)  # 95 % confidence interval
    upper: Mapped[float | None] = mapped_column(Float)
    votes: Mapped[int | None] = mapped_column(Integer)
    rank: Mapped[int | None] = mapped_column(Integer)


class ReportSent(Base):
    """Which weekly post went to which destination: one post per week, whatever the number
    of processes or restarts."""

    __tablename__ = "reports_sent"

    key: Mapped[str] = mapped_column(String(80), primary_key=True)
    destination: Mapped[str] = mapped_column(String(60), primary_key=True)
    message_id: Mapped[str | None] = mapped_column(String(120))
    sent_at: Mapped[datetime]


class BoardBest(Base):
    """Each country's best entry per arena and day: all that the capability gap reads, so a
    two-year chart is a few hundred rows whatever the size of the boards."""

    __tablename__ = "board_best"

    arena: Mapped[str] = mapped_column(String(40), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    country: Mapped[str] = mapped_column(String(2), primary_key=True)
    model: Mapped[str] = mapped_column(String(200))
    org_id: Mapped[str | None] = mapped_column(String(80))
    score: Mapped[float] = mapped_column(Float)
    lower: Mapped[float | None] = mapped_column(Float)
    upper: Mapped[float | None] = mapped_column(Float)


class Item(Base):
    __tablename__ = "items"
    __table_args__ = (
        UniqueConstraint("source_id", "guid", name="uq_items_source_guid"),
        Index("ix_items_published", "published_at"),
        # a source's recent items and their stories, read by index alone (story assignment)
        Index("ix_items_source_fetched", "source_id", "fetched_at", "story_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id"))
    guid: Mapped[str] = mapped_column(String(512))
    url: Mapped[str | None] = mapped_column(Text)
    canonical_url: Mapped[str | None] = mapped_column(Text, index=True)
    title: Mapped[str] = mapped_column(Text)
    summary: Mapped[str] = mapped_column(Text, default="")
    # CJK character pairs of title and summary (bot.text.cjk_index_text), for full-text search
    search_cjk: Mapped[str | None] = mapped_column(Text)
    published_at: Mapped[datetime]
    fetched_at: Mapped[datetime]
    authors: Mapped[list[Any]] = mapped_column(default=list)
    language: Mapped[str | None] = mapped_column(String(20))
    tags: Mapped[list[Any]] = mapped_column(default=list)
    hub: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    baseline: Mapped[bool] = mapped_column(Boolean, default=False)
    summary_llm: Mapped[str | None] = mapped_column(Text)
    story_reason: Mapped[str | None] = mapped_column(Text)
    story_id: Mapped[int | None] = mapped_column(ForeignKey("stories.id"), index=True)
    story: Mapped[Story | None] = relationship(lazy="raise")


class Classification(Base):
    __tablename__ = "classifications"
    # each /race latest filter walks its own index newest first and stops at the limit,
    # however many items match and however old they are
    __table_args__ = (
        Index("ix_classifications_country_published", "primary_country", "published_at", "item_id"),
        Index(
            "ix_classifications_country_kind_published",
            "primary_country",
            "kind",
            "published_at",
            "item_id",
        ),
        Index("ix_classifications_org_published", "primary_org", "published_at", "item_id"),
        Index("ix_classifications_kind_published", "kind", "published_at", "item_id"),
    )

    item_id: Mapped[int] = mapped_column(
        ForeignKey("items.id", ondelete="CASCADE"), primary_key=True
    )
    # the item's published_at, kept here so that the indexes above can order by it
    published_at: Mapped[datetime | None]
    primary_country: Mapped[str | None] = mapped_column(String(2))
    countries: Mapped[list[Any]] = mapped_column(default=list)
    primary_org: Mapped[str | None] = mapped_column(String(80))
    orgs: Mapped[list[Any]] = mapped_column(default=list)
    kind: Mapped[str] = mapped_column(String(20))
    modalities: Mapped[list[Any]] = mapped_column(default=list)
    open_weights: Mapped[str] = mapped_column(String(8), default="unknown")
    licence: Mapped[str | None] = mapped_column(String(80))
    params: Mapped[float | None] = mapped_column(Float)
    confidence: Mapped[float] = mapped_column(Float)
    reasons: Mapped[list[Any]] = mapped_column(default=list)
    # the base model of a hub upload that only re-publishes it (not a release), else NULL
    derivative_of: Mapped[str | None] = mapped_column(Text)
    derivative: Mapped[str | None] = mapped_column(String(20))  # quantized, adapter...
    base_model: Mapped[str | None] = mapped_column(Text)
    uploader: Mapped[str | None] = mapped_column(String(120), index=True)  # hub namespace


class RuleMatch(Base):
    __tablename__ = "rule_matches"
    __table_args__ = (UniqueConstraint("item_id", "rule_name", name="uq_match_item_rule"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"))
    story_id: Mapped[int] = mapped_column(ForeignKey("stories.id"))
    rule_name: Mapped[str] = mapped_column(String(80))
    matched_at: Mapped[datetime]


class Delivery(Base):
    """The outbox: one alert per story and destination, written with the rule match.

    ``kind`` is ``alert`` (the first post), or ``update`` (later coverage of the same story:
    one row per story and destination, re-armed each time more coverage arrives, sent as a
    thread reply or an edit of the alert). ``status`` is pending, held (waiting for a digest
    or for quiet hours to end), sent, failed, expired (retried for the whole retry window
    without success: ``racewatch outbox retry`` re-queues it) or dropped.
    """

    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("story_id", "destination", "kind", name="uq_delivery_story_dest_kind"),
        Index("ix_deliveries_due", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    story_id: Mapped[int] = mapped_column(ForeignKey("stories.id"))
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"))
    destination: Mapped[str] = mapped_column(String(60))
    rule_name: Mapped[str] = mapped_column(String(80))
    mentions: Mapped[list[Any]] = mapped_column(default=list)
    kind: Mapped[str] = mapped_column(String(10), default="alert", server_default="alert")
    status: Mapped[str] = mapped_column(String(10), default="pending")
    priority: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    digest_rule: Mapped[str | None] = mapped_column(String(80))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime]
    last_error: Mapped[str | None] = mapped_column(Text)
    external_id: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    lease_owner: Mapped[str | None] = mapped_column(String(80))
    lease_until: Mapped[datetime | None]
    # an attempt ended without knowing whether the platform posted it (a timeout, a reset,
    # a database failure after the post): the next attempt looks before it posts
    uncertain: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # the roll-up message this row went out in (or is going out in): its key, so a resend
    # after a crash rebuilds the same message with the same rows
    batch_key: Mapped[str | None] = mapped_column(String(40))
    # set when `racewatch outbox retry` re-queues the row: its retry window starts again
    queued_at: Mapped[datetime | None]


class ChannelPace(Base):
    """Per-channel pacing shared by every process: the earliest time the next message to
    this channel may go out. Each send moves it one step on, in one atomic statement."""

    __tablename__ = "channel_pace"

    channel: Mapped[str] = mapped_column(String(200), primary_key=True)
    next_at: Mapped[datetime]


class DestinationState(Base):
    __tablename__ = "destination_state"

    name: Mapped[str] = mapped_column(String(60), primary_key=True)
    status: Mapped[str] = mapped_column(String(10), default="ok")  # ok | broken
    reason: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime]
    checked_at: Mapped[datetime | None]  # the last probe of a broken destination


class ChatRule(Base):
    """Watch rules managed from chat; validated exactly like rules in files."""

    __tablename__ = "chat_rules"

    name: Mapped[str] = mapped_column(String(80), primary_key=True)
    body: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime]


class Process(Base):
    """Live racewatch processes: a heartbeat each, and which single-holder roles they hold."""

    __tablename__ = "processes"

    owner: Mapped[str] = mapped_column(String(80), primary_key=True)
    host: Mapped[str] = mapped_column(String(120))
    pid: Mapped[int] = mapped_column(Integer)
    version: Mapped[str] = mapped_column(String(20))
    started_at: Mapped[datetime]
    heartbeat_at: Mapped[datetime] = mapped_column(index=True)
    roles: Mapped[list[Any]] = mapped_column(default=list)
    destinations: Mapped[list[Any] | None] = mapped_column(JSON)  # the ones it can send to
