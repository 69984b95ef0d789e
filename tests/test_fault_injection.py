"""Never lost, never doubled, under faults: the real ``racewatch run`` against fakes of Slack
and Discord that answer 429 storms, 503s, resets, hangs and late answers, killed with
SIGKILL at random moments, its database cut (PostgreSQL) or locked (SQLite) in the middle.
Each scenario counts what arrived per alert: every one exactly once.

The kill moments and faults come from a seed printed on failure; replay one with
``FAULT_INJECTION_SEED=N pytest tests/test_fault_injection.py``. ``pytest -s`` prints
each scenario's tally (the figures in BENCHMARKS.md).
"""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from tests.conftest import POSTGRES_ADMIN_URL, LocalServer, fresh_postgres_database, rss
from tests.faultkit import (
    ChaosDiscord,
    ChaosSlack,
    FaultPlan,
    Fleet,
    PgProxy,
    arrivals,
    headlines,
    seed,
    sqlite_locked,
    tally,
    until,
)

pytestmark = pytest.mark.slow
SLACK_CHANNEL, DISCORD_CHANNEL = "C0RACE", "111111111111111111"


@pytest.fixture
def rng() -> Iterator[random.Random]:
    value = seed()
    try:
        yield random.Random(value)
    except BaseException:
        raise
    finally:
        print(f"fault seed {value} (FAULT_INJECTION_SEED={value} replays it)")


@pytest.fixture
async def chaos_slack(rng: random.Random) -> AsyncIterator[ChaosSlack]:
    plan = FaultPlan(
        random.Random(rng.random()), rate_limit=0.08, server_error=0.08, reset=0.08, hang=0.04
    )
    fake = ChaosSlack(delay=0.3, plan=plan)
    await fake.start()
    yield fake
    await fake.stop()


def settings(
    server: LocalServer, destinations: dict[str, Any], platforms: dict[str, Any], **extra: Any
) -> dict[str, Any]:
    return {
        "default_sources": False,
        "sources": [{"name": "news", "url": server.url("/feed.xml"), "interval": "1s"}],
        "destinations": destinations,
        "platforms": {"chat_commands": False, **platforms},
        "rules": [{"name": "race", "when": {"countries_involved": ["CN", "US"]}}],
        "poll": {"jitter": 0, "tick": "0.5s"},
        "outbox_interval": 0.3,
        "outbox_lease": "3s",
        "roll_up_at": 100000,  # roll-ups are their own scenario
        **extra,
    }


def write(folder: Path, data: dict[str, Any]) -> Path:
    path = folder / "racewatch.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


async def publish(server: LocalServer, stories: list[dict[str, str]]) -> None:
    """An empty feed first (the silent baseline poll), then the stories as new items."""
    server.set("/feed.xml", rss([]))
    await until(lambda: len(server.hits("/feed.xml")) >= 2, 90, "the baseline poll")
    server.set("/feed.xml", rss(stories))


async def kill_at_random(
    fleet: Fleet, posts: list[dict[str, Any]], total: int, rng: random.Random, kills: int
) -> None:
    """SIGKILL a running process ``kills`` times, each once a random share of the alerts
    has arrived and a random fraction of a (slow) answer later, and start a new one."""
    marks = sorted(rng.sample(range(2, total - 2), kills))
    for mark in marks:
        await until(lambda m=mark: len(posts) >= m, 120, f"{mark} posts")  # type: ignore[misc]
        await asyncio.sleep(rng.uniform(0, 0.4))
        await fleet.kill(rng.choice(fleet.alive()))
        await fleet.start()


async def settle(posts: list[dict[str, Any]], titles: list[str], fleet: Fleet) -> None:
    """Wait until every alert has arrived, then long enough for a wrong repeat to show."""
    await until(lambda: all(arrivals(posts, titles).values()), 150, f"every alert\n{fleet.logs()}")
    await asyncio.sleep(4)  # past the lease: a doubled send would be out by now


async def test_slack_alerts_arrive_once_through_kills_and_platform_faults(
    server: LocalServer, chaos_slack: ChaosSlack, tmp_path: Path, rng: random.Random
) -> None:
    stories = headlines(24, "slack")
    titles = [s["title"] for s in stories]
    config = settings(
        server,
        {"slack": {"type": "slack", "channel": SLACK_CHANNEL, "rate": 50}},
        {"slack_api": chaos_slack.api},
        database_url=f"sqlite:///{tmp_path / 'rw.sqlite3'}",
    )
    fleet = Fleet(write(tmp_path, config), {"SLACK_BOT_TOKEN": "xoxb-good"}, tmp_path)
    await fleet.start()
    try:
        await publish(server, stories)
        chaos_slack.plan.storm(3)  # a 429 storm as the burst starts
        await kill_at_random(fleet, chaos_slack.posts, len(stories), rng, kills=2)
        await settle(chaos_slack.posts, titles, fleet)
    finally:
        await fleet.stop()
    result = tally(
        "slack-sqlite", arrivals(chaos_slack.posts, titles), fleet.kills, chaos_slack.plan
    )
    assert (result.lost, result.duplicated) == (0, 0), result.line() + "\n" + fleet.logs()


async def test_discord_alerts_arrive_once_through_kills_and_platform_faults(
    server: LocalServer, tmp_path: Path, rng: random.Random
) -> None:
    plan = FaultPlan(random.Random(rng.random()), rate_limit=0.1, server_error=0.08, reset=0.08)
    discord = ChaosDiscord(delay=0.3, plan=plan)
    await discord.start()
    stories = headlines(20, "discord")
    titles = [s["title"] for s in stories]
    config = settings(
        server,
        {"discord": {"type": "discord", "channel": DISCORD_CHANNEL, "rate": 50}},
        {"discord_api": discord.api},
        database_url=f"sqlite:///{tmp_path / 'rw.sqlite3'}",
    )
    fleet = Fleet(write(tmp_path, config), {"DISCORD_TOKEN": "good-token"}, tmp_path)
    await fleet.start()
    try:
        await publish(server, stories)
        await kill_at_random(fleet, discord.posts, len(stories), rng, kills=2)
        await settle(discord.posts, titles, fleet)
    finally:
        await fleet.stop()
        await discord.stop()
    result = tally("discord-sqlite", arrivals(discord.posts, titles), fleet.kills, plan)
    assert (result.lost, result.duplicated) == (0, 0), result.line() + "\n" + fleet.logs()


async def test_a_locked_sqlite_database_neither_loses_nor_doubles_an_alert(
    server: LocalServer, chaos_slack: ChaosSlack, tmp_path: Path, rng: random.Random
) -> None:
    database = tmp_path / "rw.sqlite3"
    stories = headlines(16, "locked")
    titles = [s["title"] for s in stories]
    config = settings(
        server,
        {"slack": {"type": "slack", "channel": SLACK_CHANNEL, "rate": 50}},
        {"slack_api": chaos_slack.api},
        database_url=f"sqlite:///{database}",
    )
    fleet = Fleet(write(tmp_path, config), {"SLACK_BOT_TOKEN": "xoxb-good"}, tmp_path)
    await fleet.start()
    try:
        await publish(server, stories)
        await until(lambda: len(chaos_slack.posts) >= rng.randint(2, 8), 90, "first posts")
        async with sqlite_locked(database, 11):  # longer than racewatch's 10 s busy timeout
            pass
        await kill_at_random(fleet, chaos_slack.posts, len(stories), rng, kills=1)
        await settle(chaos_slack.posts, titles, fleet)
    finally:
        await fleet.stop()
    result = tally(
        "slack-sqlite-locked", arrivals(chaos_slack.posts, titles), fleet.kills, chaos_slack.plan
    )
    assert (result.lost, result.duplicated) == (0, 0), result.line() + "\n" + fleet.logs()


@pytest.fixture
def pg_url() -> Iterator[str]:
    yield from fresh_postgres_database()


@pytest.mark.postgres
async def test_two_processes_on_postgresql_survive_outages_and_a_kill(
    server: LocalServer, chaos_slack: ChaosSlack, tmp_path: Path, rng: random.Random, pg_url: str
) -> None:
    admin = urlsplit(POSTGRES_ADMIN_URL)
    proxy = PgProxy(admin.hostname or "127.0.0.1", admin.port or 5432)
    await proxy.start()
    parts = urlsplit(pg_url)
    via_proxy = parts._replace(netloc=f"{parts.username or 'postgres'}@127.0.0.1:{proxy.port}")
    stories = headlines(30, "postgres")
    titles = [s["title"] for s in stories]
    config = settings(
        server,
        {"slack": {"type": "slack", "channel": SLACK_CHANNEL, "rate": 50}},
        {"slack_api": chaos_slack.api},
        database_url=via_proxy.geturl(),
        outbox_lease="6s",  # two processes: every send must end inside its lease
    )
    fleet = Fleet(write(tmp_path, config), {"SLACK_BOT_TOKEN": "xoxb-good"}, tmp_path)
    await fleet.start()
    await asyncio.sleep(1)  # the first process migrates; the second finds the schema
    await fleet.start()
    try:
        await publish(server, stories)
        for mark in sorted(rng.sample(range(2, len(stories) - 4), 3)):
            await until(lambda m=mark: len(chaos_slack.posts) >= m, 120, f"{mark} posts")  # type: ignore[misc]
            await asyncio.sleep(rng.uniform(0, 0.4))
            await proxy.outage(rng.uniform(1, 2))
        await kill_at_random(fleet, chaos_slack.posts, len(stories), rng, kills=1)
        await settle(chaos_slack.posts, titles, fleet)
    finally:
        await fleet.stop()
        await proxy.stop()
    result = tally(
        "slack-postgres-outages", arrivals(chaos_slack.posts, titles), fleet.kills, chaos_slack.plan
    )
    assert proxy.cuts == 3
    assert (result.lost, result.duplicated) == (0, 0), result.line() + "\n" + fleet.logs()


async def test_roll_ups_list_every_alert_once_through_kills_and_faults(
    server: LocalServer, chaos_slack: ChaosSlack, tmp_path: Path, rng: random.Random
) -> None:
    """A burst of 60 becomes roll-ups on both platforms (more than one message on Slack);
    every alert shows in exactly one message, however often a roll-up is re-claimed."""
    plan = FaultPlan(random.Random(rng.random()), server_error=0.1, reset=0.1)
    discord = ChaosDiscord(delay=0.3, plan=plan)
    await discord.start()
    stories = headlines(60, "rollup")
    titles = [s["title"] for s in stories]
    config = settings(
        server,
        {
            "slack": {"type": "slack", "channel": SLACK_CHANNEL, "rate": 50},
            "discord": {"type": "discord", "channel": DISCORD_CHANNEL, "rate": 50},
        },
        {"slack_api": chaos_slack.api, "discord_api": discord.api},
        database_url=f"sqlite:///{tmp_path / 'rw.sqlite3'}",
        roll_up_at=10,
    )
    env = {"SLACK_BOT_TOKEN": "xoxb-good", "DISCORD_TOKEN": "good-token"}
    fleet = Fleet(write(tmp_path, config), env, tmp_path)
    await fleet.start()
    try:
        await publish(server, stories)
        for _ in range(2):
            await until(lambda: bool(chaos_slack.posts or discord.posts), 90, "a first roll-up")
            await asyncio.sleep(rng.uniform(0, 1.5))
            await fleet.kill(fleet.alive()[0])
            await fleet.start()
        await settle(chaos_slack.posts, titles, fleet)
        await settle(discord.posts, titles, fleet)
    finally:
        await fleet.stop()
        await discord.stop()
    for name, posts, faults in (
        ("slack", chaos_slack.posts, chaos_slack.plan),
        ("discord", discord.posts, plan),
    ):
        result = tally(f"roll-up-{name}", arrivals(posts, titles), fleet.kills, faults)
        assert (result.lost, result.duplicated) == (0, 0), result.line() + "\n" + fleet.logs()
    assert any("(1/" in json.dumps(p, ensure_ascii=False) for p in chaos_slack.posts)


async def test_a_hanging_slack_never_holds_up_discord(
    server: LocalServer, tmp_path: Path, rng: random.Random
) -> None:
    """Slack takes every post and then does not answer; Discord gets all of its alerts in
    the meantime, and once Slack answers again, each alert is there once (the cut posts
    are found, not posted again)."""
    slack = ChaosSlack(plan=FaultPlan(random.Random(rng.random())), hold=asyncio.Event())
    discord = ChaosDiscord(plan=FaultPlan(random.Random(rng.random())))
    await slack.start()
    await discord.start()
    stories = headlines(8, "hang")
    titles = [s["title"] for s in stories]
    config = settings(
        server,
        {
            "slack": {"type": "slack", "channel": SLACK_CHANNEL, "rate": 50},
            "discord": {"type": "discord", "channel": DISCORD_CHANNEL, "rate": 50},
        },
        {"slack_api": slack.api, "discord_api": discord.api},
        database_url=f"sqlite:///{tmp_path / 'rw.sqlite3'}",
        outbox_lease="45s",
    )
    env = {"SLACK_BOT_TOKEN": "xoxb-good", "DISCORD_TOKEN": "good-token"}
    fleet = Fleet(write(tmp_path, config), env, tmp_path)
    await fleet.start()
    try:
        await publish(server, stories)
        await until(lambda: all(arrivals(discord.posts, titles).values()), 60, "Discord")
        assert not all(arrivals(slack.posts, titles).values())  # Slack is still stuck
        assert slack.hold is not None
        slack.hold.set()
        await settle(slack.posts, titles, fleet)
    finally:
        assert slack.hold is not None
        slack.hold.set()
        await fleet.stop()
        await slack.stop()
        await discord.stop()
    for name, posts in (("slack", slack.posts), ("discord", discord.posts)):
        result = tally(f"hanging-slack-{name}", arrivals(posts, titles), fleet.kills, slack.plan)
        assert (result.lost, result.duplicated) == (0, 0), result.line() + "\n" + fleet.logs()


async def test_a_discord_channel_webhook_posts_once_through_kills_and_faults(
    server: LocalServer, tmp_path: Path, rng: random.Random
) -> None:
    """No nonce on a webhook: with a bot token to read the channel, a resend after a kill
    or an unknown answer finds the earlier post."""
    plan = FaultPlan(random.Random(rng.random()), rate_limit=0.1, server_error=0.08, reset=0.08)
    discord = ChaosDiscord(delay=0.3, plan=plan)
    await discord.start()
    stories = headlines(20, "webhook")
    titles = [s["title"] for s in stories]
    config = settings(
        server,
        {"hook": {"type": "discord_webhook", "rate": 50}},
        {"discord_api": discord.api},
        database_url=f"sqlite:///{tmp_path / 'rw.sqlite3'}",
    )
    env = {
        "DISCORD_WEBHOOK_URL": f"{discord.api}/webhooks/1/wtoken",
        "DISCORD_TOKEN": "good-token",
    }
    fleet = Fleet(write(tmp_path, config), env, tmp_path)
    await fleet.start()
    try:
        await publish(server, stories)
        await kill_at_random(fleet, discord.posts, len(stories), rng, kills=2)
        await settle(discord.posts, titles, fleet)
    finally:
        await fleet.stop()
        await discord.stop()
    result = tally("discord-webhook", arrivals(discord.posts, titles), fleet.kills, plan)
    assert (result.lost, result.duplicated) == (0, 0), result.line() + "\n" + fleet.logs()
