"""Seeded synthetic feeds: realistic headline shapes, many organisations, both languages."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from xml.sax.saxutils import escape

ORGS = [
    "Alibaba",
    "DeepSeek",
    "Moonshot AI",
    "Zhipu AI",
    "Baidu",
    "Tencent",
    "ByteDance",
    "Kuaishou",
    "MiniMax",
    "OpenAI",
    "Anthropic",
    "Google",
    "Meta",
    "Microsoft",
    "Nvidia",
    "xAI",
    "Mistral AI",
    "Cohere",
    "Samsung",
    "Apple",
    "Xpeng",
    "BYD",
    "Shein",
]
PRODUCTS = [
    "Qwen3",
    "DeepSeek-V3.2",
    "Kimi K2",
    "GLM-4.6",
    "ERNIE 4.5",
    "Hunyuan-A13B",
    "Doubao 1.6",
    "Kling 2.1",
    "Hailuo 02",
    "GPT-5",
    "Claude Sonnet 4.5",
    "Gemini 2.5 Pro",
    "Llama 4",
    "Phi-4",
    "Nemotron Nano 2",
    "Grok 4",
    "Magistral",
]
VERBS = [
    "releases",
    "unveils",
    "launches",
    "open-sources",
    "raises $2B for",
    "tops leaderboard with",
    "publishes paper on",
    "cuts prices of",
    "debuts",
]
TAILS = [
    "a reasoning model",
    "an open-weights model",
    "a video generator",
    "its new app",
    "agentic coding tools",
    "chip export rules",
    "a 70B model",
    "multimodal search",
]
ZH_ORGS = ["阿里巴巴", "深度求索", "月之暗面", "智谱", "腾讯"]
ZH = ["发布新一代大模型", "开源推理模型", "完成新一轮融资", "登顶开源模型榜单", "推出视频生成应用"]


def headline(rng: random.Random, n: int) -> tuple[str, str]:
    if rng.random() < 0.15:
        return (
            f"{rng.choice(ZH_ORGS)}{rng.choice(ZH)} {n}",
            "",
        )
    org = rng.choice(ORGS)
    title = f"{org} {rng.choice(VERBS)} {rng.choice(PRODUCTS)}, {rng.choice(TAILS)} #{n}"
    summary = (
        f"<p>{org} said on {rng.choice(['Monday', 'Tuesday', 'Friday'])} that "
        f"{rng.choice(PRODUCTS)} is available to developers. The company claims it rivals "
        f"{rng.choice(PRODUCTS)} on coding and math benchmarks.</p>"
    )
    return title, summary


def distinct_headline(rng: random.Random, n: int) -> tuple[str, str]:
    """A headline that shares its story with no other (for the burst figures)."""
    words = " ".join(f"{rng.getrandbits(24):06x}" for _ in range(4))
    return f"{rng.choice(['DeepSeek', 'OpenAI', 'Moonshot AI', 'Anthropic'])} unveils {words}", ""


def rss_feed(
    feed: int,
    items: int,
    seed: int,
    now: datetime | None = None,
    start: int = 0,
    distinct: bool = False,
) -> bytes:
    rng = random.Random(seed * 100_003 + feed)
    now = now or datetime.now(UTC)
    body = []
    make = distinct_headline if distinct else headline
    for i in range(start, start + items):
        title, summary = make(rng, feed * 10_000 + i)
        when = now - timedelta(minutes=rng.randint(1, 600))
        body.append(
            f"<item><title>{escape(title)}</title><link>https://news.example/{feed}/{i}</link>"
            f"<guid>f{feed}-{i}</guid><pubDate>{format_datetime(when)}</pubDate>"
            f"<description>{escape(summary)}</description></item>"
        )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0">'
        f"<channel><title>Feed {feed}</title>"
        f"<link>https://news.example/{feed}</link>{''.join(body)}</channel></rss>"
    ).encode()
