"""Never doubled, never hidden: the sending half of the delivery promise, with each fault
injected at the seam (the real discord.py / slack_sdk / aiohttp clients against local fakes,
a real SQLite or PostgreSQL outbox) and the outcome counted as a user would: what arrived."""

from __future__ import annotations

import asyncio
import collections
import json
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiohttp import web
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from bot.alerts.card import AlertCard, StoryUpdate
from bot.alerts.report import RaceReport, ReportLine
from bot.attribution.registry import load_registry
from bot.delivery import discord_sender, outbox
from bot.delivery.base import DeliveryError, Sender
from bot.delivery.discord_sender import DiscordBotSender, use_api
from bot.delivery.discord_webhook import DiscordWebhookSender
from bot.delivery.keys import update_key
from bot.delivery.outbox import OutboxWorker
from bot.delivery.pacing import Pacer
from bot.delivery.slack_sender import SlackSender
from bot.delivery.webhook_sender import WebhookSender
from bot.items import NewItem
from bot.serving import start_local
from bot.store import outbox_repo, pace_repo
from bot.store.db import open_store
from bot.store.items_repo import StoredItem, arm_update
from bot.store.schema import ChannelPace, Delivery, Item, Source, Story
from tests.conftest import fresh_postgres_database
from tests.fakes import FakeDiscord, FakeSlack, Fault

CHANNEL = "111111111111111111"
NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
HOOK = "https://discord.com/api/webhooks/1/wtoken"


def card(n: int = 1) -> AlertCard:
    return AlertCard(
        story_id=n,
        item_id=n,
        title=f"DeepSeek releases V{n} open-weights model",
        url=f"https://news.example/{n}",
        summary="A new model.",
        country="CN",
        flag="🇨🇳",
        org="DeepSeek",
        kind="model_release",
        facts=(("Organisation", "DeepSeek"),),
        source="feed",
        published_at=NOW,
    )


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def sessions(request: pytest.FixtureRequest, tmp_path: Any) -> Iterator[sessionmaker[Session]]:
    if request.param == "sqlite":
        engine, made = open_store(f"sqlite:///{tmp_path / 'rw.sqlite3'}")
        yield made
        engine.dispose()
        return
    urls = fresh_postgres_database()
    url = next(urls)
    engine, made = open_store(url)
    yield made
    engine.dispose()
    for _ in urls:  # drops the database
        pass


def seed(sessions: sessionmaker[Session], stories: int, destinations: list[str]) -> None:
    """``stories`` alerts due now for each destination, as ingest would have queued them."""
    with sessions.begin() as session:
        source = Source(
            name="feed", type="rss", url="https://feed.example/", interval_s=60, next_poll_at=NOW
        )
        session.add(source)
        session.flush()
        for n in range(1, stories + 1):
            story = Story(title=f"story {n}", created_at=NOW, updated_at=NOW)
            session.add(story)
            session.flush()
            item = Item(
                source_id=source.id,
                guid=f"g{n}",
                url=f"https://news.example/{n}",
                title=f"DeepSeek releases V{n} open-weights model",
                published_at=NOW,
                fetched_at=NOW,
                story_id=story.id,
            )
            session.add(item)
            session.flush()
            for destination in destinations:
                session.add(
                    Delivery(
                        story_id=story.id,
                        item_id=item.id,
                        destination=destination,
                        rule_name="cn",
                        mentions=[],
                        kind="alert",
                        status="pending",
                        attempts=0,
                        next_attempt_at=NOW,
                        created_at=NOW,
                    )
                )


def stored(item: Item) -> StoredItem:
    """A stored row as ingest hands it on (what arming a follow-up reads)."""
    new = NewItem(item.guid, item.title, item.url, "", item.published_at)
    return StoredItem(item.source_id, new, item.url, None, id=item.id)


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


def worker(
    sessions: sessionmaker[Session], senders: dict[str, Sender], clock: Clock, owner: str = "p1"
) -> OutboxWorker:
    return OutboxWorker(
        sessions=sessions,
        senders=senders,
        registry=load_registry(),
        owner=owner,
        clock=clock,
        lease=45,
    )


def rows(sessions: sessionmaker[Session]) -> list[Delivery]:
    with sessions.begin() as session:
        return list(session.scalars(select(Delivery).order_by(Delivery.id)))


def due_now(sessions: sessionmaker[Session], clock: Clock) -> None:
    """Skip the backoff: whatever is waiting to be retried is due."""
    with sessions.begin() as session:
        session.execute(update(Delivery).values(next_attempt_at=clock.now))


@pytest.fixture
async def discord_api() -> AsyncIterator[FakeDiscord]:
    fake = FakeDiscord()
    await fake.start()
    use_api(fake.api)
    yield fake
    await fake.stop()


@pytest.fixture
async def slack_api() -> AsyncIterator[FakeSlack]:
    fake = FakeSlack()
    await fake.start()
    yield fake
    await fake.stop()


# 1. every message keyed, roll-ups of re-claimed rows included


async def test_a_roll_up_whose_answer_was_lost_is_found_not_posted_again(
    sessions: sessionmaker[Session], slack_api: FakeSlack
) -> None:
    seed(sessions, 12, ["team"])
    clock = Clock()
    slack = SlackSender("team", "C0RACE", "xoxb-good", slack_api.api)
    slack_api.lose_answers = 1
    try:
        assert await worker(sessions, {"team": slack}, clock).drain() == 0
        assert len(slack_api.posts) == 1  # Slack has it; racewatch does not know
        assert {r.uncertain for r in rows(sessions)} == {True}
        clock.now += timedelta(minutes=5)
        due_now(sessions, clock)
        # another process takes over, with rows that are due in a different order
        assert await worker(sessions, {"team": slack}, clock, owner="p2").drain() == 12
    finally:
        await slack.close()
    assert len(slack_api.posts) == 1 and slack_api.history_reads >= 1
    post = slack_api.posts[0]
    metadata = post["metadata"]
    metadata = json.loads(metadata) if isinstance(metadata, str) else metadata
    assert metadata["event_payload"]["delivery"].startswith("r")
    assert {r.status for r in rows(sessions)} == {"sent"}


async def test_admin_notices_and_digests_carry_keys(discord_api: FakeDiscord) -> None:
    sender = DiscordBotSender("d", CHANNEL, "good-token")
    try:
        await sender.notice("destination 'x' is broken")
        await sender.notice("destination 'x' is broken")  # Discord drops the repeat by nonce
    finally:
        await sender.close()
    assert len(discord_api.posts) == 1 and discord_api.posts[0]["nonce"].startswith("rw-n")


async def test_a_weekly_post_sent_again_after_a_crash_is_found_on_discord(
    discord_api: FakeDiscord,
) -> None:
    report = RaceReport(
        "2026-W48",
        "State of the race",
        (("Gap", (ReportLine("US ahead by 1.7 %", None),)),),
        NOW,
        image=b"\x89PNG chart",
    )
    sender = DiscordBotSender("d", CHANNEL, "good-token")
    try:
        first = await sender.send_report(report)
        discord_api.nonces.clear()  # the record was lost; the job runs again much later
        again = await sender.send_report(report)
    finally:
        await sender.close()
    assert len(discord_api.posts) == 1 and first == again


# 2. Slack: history scopes, thread replies, an uncertain check waits


async def test_a_slack_thread_reply_is_looked_for_in_its_thread(slack_api: FakeSlack) -> None:
    slack = SlackSender("team", "C0RACE", "xoxb-good", slack_api.api)
    update_ = StoryUpdate(1, "t", "1764072000.000001", (("wire", "Also", "https://w.example/"),))
    slack_api.lose_answers = 1
    try:
        with pytest.raises(DeliveryError) as lost:
            await slack.send_update(update_, "u1.2")
        assert lost.value.uncertain
        await slack.send_update(update_, "u1.2", uncertain=True)
    finally:
        await slack.close()
    assert len(slack_api.posts) == 1 and slack_api.posts[0]["thread_ts"] == "1764072000.000001"


async def test_a_failed_slack_check_waits_and_checks_again_never_posts(
    slack_api: FakeSlack,
) -> None:
    slack = SlackSender("team", "C0RACE", "xoxb-good", slack_api.api)
    slack_api.history_error = "missing_scope"
    try:
        with pytest.raises(DeliveryError) as check:
            await slack.send(card(), "a1", uncertain=True)
    finally:
        await slack.close()
    assert check.value.uncertain and not check.value.permanent
    assert "missing_scope" in str(check.value) and slack_api.posts == []


# 3 + 4. unknown outcomes and database failures leave the row uncertain


async def test_a_reset_after_a_slack_post_is_not_retried_blindly_by_the_client(
    slack_api: FakeSlack,
) -> None:
    slack = SlackSender("team", "C0RACE", "xoxb-good", slack_api.api)
    slack_api.lose_answers = 1
    try:
        with pytest.raises(DeliveryError) as lost:
            await slack.send(card(), "a1")
    finally:
        await slack.close()
    assert lost.value.uncertain and len(slack_api.posts) == 1 and slack_api.hits == 1


async def test_a_database_failure_after_the_post_is_verified_not_reposted(
    sessions: sessionmaker[Session],
    discord_api: FakeDiscord,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seed(sessions, 2, ["d"])
    clock = Clock()
    sender = DiscordBotSender("d", CHANNEL, "good-token")
    real = outbox_repo.mark_many_sent

    def outage(*args: Any) -> None:
        raise OSError("database connection lost")

    monkeypatch.setattr(outbox_repo, "mark_many_sent", outage)
    try:
        with pytest.raises(OSError):
            await worker(sessions, {"d": sender}, clock).drain()
        monkeypatch.setattr(outbox_repo, "mark_many_sent", real)
        assert len(discord_api.posts) == 1
        discord_api.nonces.clear()  # the restart comes after Discord's nonce window
        clock.now += timedelta(minutes=10)
        assert await worker(sessions, {"d": sender}, clock, owner="p2").drain() == 2
    finally:
        await sender.close()
    titles = collections.Counter(p["embeds"][0]["title"] for p in discord_api.posts)
    assert len(titles) == 2 and set(titles.values()) == {1}
    assert discord_api.history_reads == 2  # both rows were held by the process that failed


# 5. a timeout on every call, well inside the lease


async def test_a_hanging_discord_call_is_cut_and_marked_uncertain(
    sessions: sessionmaker[Session],
    discord_api: FakeDiscord,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seed(sessions, 1, ["d"])
    monkeypatch.setattr(discord_sender, "SEND_TIMEOUT", 0.5)
    discord_api.answer_delay = 3
    clock = Clock()
    sender = DiscordBotSender("d", CHANNEL, "good-token")
    try:
        await worker(sessions, {"d": sender}, clock).drain()
        [row] = rows(sessions)
        assert row.status == "pending" and row.uncertain and "did not answer" in str(row.last_error)
        discord_api.answer_delay = 0
        discord_api.nonces.clear()
        due_now(sessions, clock)
        assert await worker(sessions, {"d": sender}, clock).drain() == 1
    finally:
        await sender.close()
    assert len(discord_api.posts) == 1


async def test_a_process_claims_no_more_than_it_can_send_inside_the_lease(
    sessions: sessionmaker[Session], slack_api: FakeSlack
) -> None:
    slack = SlackSender("team", "C0RACE", "xoxb-good", slack_api.api)  # 1 message in 1.1 s
    try:
        sending = worker(sessions, {"team": slack}, Clock())
        assert sending._batch_for("team", 96) == 96  # more than 10 go out as a roll-up
        sending.roll_up_at = 1000  # no roll-ups: only what the pace reaches in the lease
        assert sending._batch_for("team", 96) == int(45 * outbox.SEND_SHARE / 1.1)
        slack.pacer = Pacer(50, 1.0)
        assert sending._batch_for("team", 96) == 96
    finally:
        await slack.close()


async def test_doctor_says_when_the_bot_cannot_read_the_channel(
    discord_api: FakeDiscord,
) -> None:
    sender = DiscordBotSender("d", CHANNEL, "good-token")
    try:
        assert await sender.check() == []
        discord_api.faults = [Fault(403, {"message": "Missing Access", "code": 50001})]
        [problem] = await sender.check()
    finally:
        await sender.close()
    assert "Read Message History" in problem


async def test_doctor_says_when_a_webhooks_bot_token_cannot_read_its_channel(
    discord_api: FakeDiscord,
) -> None:
    good = DiscordWebhookSender("hook", HOOK, lookup_token="good-token")
    stranger = DiscordWebhookSender("hook", HOOK, lookup_token="other-bot")
    try:
        assert await good.check() == []
        [problem] = await stranger.check()
    finally:
        await good.close()
        await stranger.close()
    assert "Read Message History" in problem


def test_the_lease_leaves_room_for_a_look_and_a_post() -> None:
    assert discord_sender.SEND_TIMEOUT * 2 <= outbox.LEASE * outbox.SEND_SHARE
    assert outbox.LEASE <= 60  # a crash resend comes inside Discord's nonce window


# 6. the Discord channel webhook: wait=true, and a look before a resend


async def test_a_discord_webhook_resend_finds_the_message_it_already_posted(
    discord_api: FakeDiscord,
) -> None:
    hook = DiscordWebhookSender("hook", HOOK, lookup_token="good-token")
    discord_api.lose_answers = 1
    try:
        with pytest.raises(DeliveryError) as lost:
            await hook.send(card(), "a1")
        assert lost.value.uncertain
        message_id = await hook.send(card(), "a1", uncertain=True)
        await hook.send(card(2), "a2", uncertain=True)  # a different alert is posted
    finally:
        await hook.close()
    assert discord_api.posts[0]["id"] == message_id
    assert len(discord_api.posts) == 2 and discord_api.history_reads == 2


# 7. after Discord's nonce window, the channel is read


async def test_a_discord_resend_after_the_nonce_window_reads_the_channel(
    discord_api: FakeDiscord,
) -> None:
    sender = DiscordBotSender("d", CHANNEL, "good-token")
    discord_api.lose_answers = 1
    try:
        with pytest.raises(DeliveryError):
            await sender.send(card(), "a1")
        discord_api.nonces.clear()  # Discord forgot the nonce
        await sender.send(card(), "a1", uncertain=True)
    finally:
        await sender.close()
    assert len(discord_api.posts) == 1 and discord_api.history_reads == 1


# 8. each follow-up its own key; a webhook's 409 means delivered


async def test_re_armed_follow_ups_are_each_posted(discord_api: FakeDiscord) -> None:
    sender = DiscordBotSender("d", CHANNEL, "good-token")
    first = StoryUpdate(1, "t", None, (("wire", "Also", "https://w.example/1"),))
    second = StoryUpdate(1, "t", None, (("press", "More", "https://w.example/2"),))
    try:
        await sender.send_update(first, update_key(7, 20))
        await sender.send_update(second, update_key(7, 21))  # the same row, re-armed
    finally:
        await sender.close()
    assert len(discord_api.posts) == 2


async def test_a_follow_up_re_armed_with_new_coverage_is_posted_again(
    sessions: sessionmaker[Session], discord_api: FakeDiscord
) -> None:
    seed(sessions, 1, ["d"])
    clock = Clock()
    sender = DiscordBotSender("d", CHANNEL, "good-token")
    try:
        assert await worker(sessions, {"d": sender}, clock).drain() == 1  # the alert
        with sessions.begin() as session:
            alert = session.scalars(select(Delivery)).one()
            wire = Source(
                name="wire", type="rss", url="https://w/", interval_s=60, next_poll_at=NOW
            )
            session.add(wire)
            session.flush()
            for n in (2, 3):  # two later reports of the same story, from another source
                session.add(
                    Item(
                        source_id=wire.id,
                        guid=f"w{n}",
                        url=f"https://wire.example/{n}",
                        title=f"Wire report {n}",
                        published_at=NOW,
                        fetched_at=NOW,
                        story_id=alert.story_id,
                    )
                )
            session.flush()
            items = session.scalars(select(Item).where(Item.source_id == wire.id)).all()
            assert arm_update(session, alert, stored(items[0]), clock.now)
        clock.now += timedelta(minutes=2)
        assert await worker(sessions, {"d": sender}, clock).drain() == 1  # first follow-up
        with sessions.begin() as session:
            alert = session.scalars(select(Delivery).where(Delivery.kind == "alert")).one()
            assert arm_update(session, alert, stored(items[1]), clock.now)  # re-armed
        clock.now += timedelta(minutes=2)
        assert await worker(sessions, {"d": sender}, clock).drain() == 1  # a new message
    finally:
        await sender.close()
    follow_ups = [p for p in discord_api.posts if p.get("message_reference")]
    assert len(follow_ups) == 2 and len({p["nonce"] for p in follow_ups}) == 2
    assert "Wire report 3" in follow_ups[1]["content"]


async def test_a_webhook_409_on_a_repeated_key_counts_as_delivered() -> None:
    seen: set[str] = set()

    async def receive(request: web.Request) -> web.Response:
        key = (await request.json())["delivery_key"]
        if key in seen:
            return web.Response(status=409)
        seen.add(key)
        return web.Response(status=204)

    app = web.Application()
    app.router.add_post("/hook", receive)
    runner, port = await start_local(app)
    sender = WebhookSender("w", f"http://127.0.0.1:{port}/hook")
    try:
        await sender.send(card(), "a1")
        await sender.send(card(), "a1", uncertain=True)  # a repeat: no error, nothing broken
        await sender.notice("x")
    finally:
        await sender.close()
        await runner.cleanup()
    assert len(seen) == 2


# 12. roll-ups list every alert, per destination


async def test_a_roll_up_lists_every_alert_across_as_many_messages_as_needed(
    sessions: sessionmaker[Session], discord_api: FakeDiscord, slack_api: FakeSlack
) -> None:
    seed(sessions, 50, ["d", "team"])
    clock = Clock()
    discord, slack = (
        DiscordBotSender("d", CHANNEL, "good-token"),
        SlackSender("team", "C0RACE", "xoxb-good", slack_api.api),
    )
    discord.pacer = slack.pacer = Pacer(50, 1.0)  # a fast channel: all 50 in one claim
    senders: dict[str, Sender] = {"d": discord, "team": slack}
    try:
        assert await worker(sessions, senders, clock).drain() == 100
    finally:
        for sender in senders.values():
            await sender.close()
    discord_lines = [
        line for p in discord_api.posts for line in p["embeds"][0]["description"].splitlines()
    ]
    slack_lines = [
        b
        for p in slack_api.posts
        for b in (json.loads(p["blocks"]) if isinstance(p["blocks"], str) else p["blocks"])[1:]
    ]
    assert len(discord_lines) == 50 and len(slack_lines) == 50
    assert len(slack_api.posts) == 2  # 48 sections a message at most
    assert not any("more" in line for line in discord_lines)


# 14. one hanging destination never delays the others


async def test_a_hanging_slack_does_not_hold_up_discord(
    sessions: sessionmaker[Session], discord_api: FakeDiscord, slack_api: FakeSlack
) -> None:
    seed(sessions, 3, ["team", "d"])
    clock = Clock()
    slack_api.hold = asyncio.Event()
    senders: dict[str, Sender] = {
        "team": SlackSender("team", "C0RACE", "xoxb-good", slack_api.api),
        "d": DiscordBotSender("d", CHANNEL, "good-token"),
    }
    sending = worker(sessions, senders, clock)
    try:
        await sending.drain(wait=0.1)  # the run loop's way: slow destinations carry on
        async with asyncio.timeout(30):
            while len(discord_api.posts) < 3:
                await asyncio.sleep(0.05)
        assert len(slack_api.posts) == 1  # still waiting on its first answer
        assert await sending.drain() == 0  # the next drain is not held up by Slack either
        slack_api.hold.set()
        await sending.settle()
    finally:
        slack_api.hold.set()
        for sender in senders.values():
            await sender.close()
    assert {r.status for r in rows(sessions)} == {"sent"} and len(slack_api.posts) == 3


# 15. one per-channel budget for every process


async def test_two_processes_share_one_budget_for_a_channel(
    sessions: sessionmaker[Session], slack_api: FakeSlack
) -> None:
    seed(sessions, 4, ["team"])
    clock = Clock()
    first = SlackSender("team", "C0RACE", "xoxb-good", slack_api.api)
    second = SlackSender("team", "C0RACE", "xoxb-good", slack_api.api)  # its own pacer
    started = datetime.now(UTC)
    try:
        sent = await asyncio.gather(
            worker(sessions, {"team": first}, clock, owner="p1").drain(batch=2),
            worker(sessions, {"team": second}, clock, owner="p2").drain(batch=2),
        )
    finally:
        await first.close()
        await second.close()
    assert sum(sent) == 4 and len(slack_api.posts) == 4
    with sessions.begin() as session:
        next_at = session.scalar(
            select(ChannelPace.next_at).where(ChannelPace.channel == "slack:C0RACE")
        )
    assert next_at is not None
    step = first.pacer.per / first.pacer.count
    assert (next_at - started).total_seconds() >= 4 * step - 0.01  # four slots, one queue


def test_slots_for_one_channel_are_spaced_whoever_takes_them(
    sessions: sessionmaker[Session],
) -> None:
    slots = []
    for _ in range(6):  # as if from different processes: each call is its own transaction
        with sessions.begin() as session:
            slot = pace_repo.take_slot(session, "discord:1", NOW, 1.0)
        assert slot is not None
        slots.append(slot)
    assert slots == [NOW + timedelta(seconds=n) for n in range(6)]
    with sessions.begin() as session:
        assert pace_repo.take_slot(session, "slack:C1", NOW, 1.1) == NOW  # its own budget
