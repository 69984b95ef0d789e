"""Kill racewatch while it is posting to Slack, start it again: every story is posted exactly
once. The fake Slack accepts each message and only then answers, slowly, so the kill lands
between "Slack has it" and "racewatch recorded it" — the window that causes duplicates."""

from __future__ import annotations

import asyncio
import collections
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import LocalServer, rss
from tests.fakes import FakeSlack
from tests.faultkit import Fleet
from tests.progress import until_done

pytestmark = pytest.mark.slow

STORIES = [
    ("Alibaba releases Qwen3-Max open-weights model", "https://qwenlm.github.io/blog/qwen3-max/"),
    ("DeepSeek releases V3.2 open-weights model", "https://api-docs.deepseek.com/news/v32"),
    ("Moonshot AI releases Kimi K2 Thinking open-weights model", "https://kimi.ai/k2-thinking"),
    ("Zhipu AI launches GLM-4.6 open-weights model", "https://z.ai/blog/glm-4.6"),
    ("MiniMax releases M2 open-weights model", "https://minimax.io/news/m2"),
    ("Tencent releases Hunyuan-A13B open-weights model", "https://hunyuan.tencent.com/a13b"),
    ("Baidu open-sources ERNIE 4.5 open-weights models", "https://ernie.baidu.com/blog/45"),
    ("StepFun releases Step-3 open-weights model", "https://stepfun.com/step3"),
]


@pytest.fixture
async def slack_api() -> AsyncIterator[FakeSlack]:
    fake = FakeSlack(delay=0.6)
    await fake.start()
    yield fake
    await fake.stop()


async def test_a_kill_during_delivery_neither_loses_nor_doubles_an_alert(
    server: LocalServer,
    slack_api: FakeSlack,
    tmp_path: Path,
    write_config: Callable[[dict[str, Any]], Path],
) -> None:
    server.set("/feed.xml", rss([]))
    path = write_config(
        {
            "sources": [{"name": "news", "url": server.url("/feed.xml"), "interval": "1s"}],
            "destinations": {"slack": {"type": "slack", "channel": "C0RACE"}},
            "rules": [{"name": "cn", "when": {"country": "CN"}}],
            "platforms": {"slack_api": slack_api.api},
            "poll": {"jitter": 0},
            "outbox_interval": 0.5,
            "outbox_lease": "2s",
        }
    )
    fleet = Fleet(path, {"SLACK_BOT_TOKEN": "xoxb-good"}, tmp_path)
    first = await fleet.start()
    try:
        await until_done(lambda: len(server.hits("/feed.xml")), 1, "the baseline poll")
        await asyncio.sleep(1.5)
        server.set("/feed.xml", rss([{"title": t, "link": u, "guid": u} for t, u in STORIES]))
        await until_done(lambda: len(slack_api.posts), 3, "three posts", logs=fleet.logs)
        await asyncio.sleep(0.2)  # inside the next post's slow answer
        await fleet.kill(first)
        await fleet.start()
        await until_done(
            lambda: len({p["text"] for p in slack_api.posts}),
            len(STORIES),
            "every story",
            logs=fleet.logs,
        )
        await asyncio.sleep(3)  # give a wrong repost the time to happen
    finally:
        await fleet.stop()
    counts = collections.Counter(p["text"].split(" — ")[0] for p in slack_api.posts)
    assert len(counts) == len(STORIES)
    assert set(counts.values()) == {1}, counts
    assert slack_api.history_reads >= 1  # the kill did land mid-send, and the restart looked first
