"""What /race latest and /race search return, on both stores."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from bot.config.loader import load_config
from bot.runtime.app import start_app
from bot.store.queries import latest, search
from tests.conftest import LocalServer, rss
from tests.test_pipeline import database_url  # noqa: F401  (both stores, as the pipeline)

ITEMS = [
    ("Alibaba releases Qwen3-Coder for agentic coding", 5),
    ("DeepSeek open-sources DeepSeek-V3.2 with sparse attention", 1),
    ("OpenAI releases GPT-5 for coding and reasoning", 2),
    ("Moonshot AI launches Kimi K2 with coding agents", 3),
    ("Baidu cuts prices of ERNIE 4.5", 30),
    ("US tightens export control on AI chips to China", 4),
    ("美国商务部加强对华芯片出口管制", 6),
    ("阿里发布通义千问Qwen3，登顶开源模型榜单", 7),
]


async def test_latest_is_newest_first_and_search_finds_every_word(
    server: LocalServer, write_config: Callable[[dict[str, Any]], Path]
) -> None:
    server.set(
        "/feed.xml",
        rss(
            [
                {
                    "title": t,
                    "guid": f"g{n}",
                    "link": f"https://n.example/{n}",
                    "age": timedelta(hours=h),
                }
                for n, (t, h) in enumerate(ITEMS)
            ]
        ),
    )
    app = await start_app(
        load_config(
            write_config({"sources": [{"name": "news", "url": server.url("/feed.xml")}]}), env={}
        )
    )
    try:
        await app.poll_once(force=True)
        assert app.sessions is not None
        with app.sessions.begin() as session:
            chinese = [r.title for r in latest(session, country="CN", limit=3)]
            found = [r.title for r in search(session, "coding agents")]
            nothing = search(session, "quantum teleportation")
            controls = [r.title for r in search(session, "export controls")]
            chinese_words = [r.title for r in search(session, "出口管制")]
            mixed = [r.title for r in search(session, "千问 Qwen3")]
            one_char = [r.title for r in search(session, "芯")]
            not_a_word = search(session, "口芯")
            latin_in_chinese = [r.title for r in search(session, "Qwen3")]
        assert chinese == [ITEMS[1][0], ITEMS[3][0], ITEMS[0][0]]
        # every word, in any of its forms: "agents" finds "agentic", "controls" "control"
        assert sorted(found) == sorted([ITEMS[3][0], ITEMS[0][0]])
        assert controls == [ITEMS[5][0]]
        assert nothing == []
        # Chinese has no spaces: its words are found inside the text, not as whole strings
        assert chinese_words == [ITEMS[6][0]]
        assert mixed == [ITEMS[7][0]]
        assert one_char == [ITEMS[6][0]]
        assert not_a_word == []
        # a Latin word glued to Chinese ("千问Qwen3") is found by a Latin-only query too
        assert sorted(latin_in_chinese) == sorted([ITEMS[0][0], ITEMS[7][0]])
    finally:
        await app.close()


async def test_rare_and_common_filters_give_what_walking_the_newest_items_gives(
    server: LocalServer, write_config: Callable[[dict[str, Any]], Path]
) -> None:
    """Each filter walks its own index; the answer is what reading every item gives."""
    from tests.test_queries_random import straightforward_latest

    server.set(
        "/feed.xml",
        rss(
            [
                {"title": t, "guid": f"g{n}", "age": timedelta(hours=h)}
                for n, (t, h) in enumerate(ITEMS)
            ]
        ),
    )
    app = await start_app(
        load_config(
            write_config({"sources": [{"name": "news", "url": server.url("/feed.xml")}]}), env={}
        )
    )
    try:
        await app.poll_once(force=True)
        assert app.sessions is not None
        asks: list[dict[str, Any]] = [
            {"country": "CN"},
            {"country": "US", "kind": "policy"},
            {"kind": "model_release"},
            {"country": "FR", "kind": "research"},  # matches nothing
            {"country": "CN", "limit": 2},
        ]
        with app.sessions.begin() as session:
            from_index = [latest(session, **ask) for ask in asks]
            walked = [straightforward_latest(session, **ask) for ask in asks]
    finally:
        await app.close()
    assert from_index == walked
    assert from_index[0] and from_index[3] == []
