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


_EVENTS = [  # (org, product, Chinese org): the same events, told by many outlets
    ("DeepSeek", "DeepSeek-V3.2", "深度求索"),
    ("Alibaba", "Qwen3-Max", "阿里巴巴"),
    ("Moonshot AI", "Kimi K2", "月之暗面"),
    ("Zhipu AI", "GLM-4.6", "智谱"),
    ("OpenAI", "GPT-5", "OpenAI"),
    ("Anthropic", "Claude Sonnet 4.5", "Anthropic"),
    ("Google", "Gemini 2.5 Pro", "谷歌"),
    ("Meta", "Llama 4", "Meta"),
]
_CATEGORIES = ["AI", "Artificial Intelligence", "China", "Chips", "Policy", "Startups", "大模型"]


def realistic_item(rng: random.Random, n: int, feed: int, when: datetime) -> str:
    """One RSS item as news sites publish them: an HTML-rich description and
    ``content:encoded``, a few categories, an author; one in five in Chinese."""
    org, product, zh_org = _EVENTS[rng.randrange(len(_EVENTS))]
    chinese = rng.random() < 0.2
    if chinese:
        title = f"{zh_org}发布{product}，{rng.choice(ZH)}（第{n}期）"
        lead = f"{zh_org}今日宣布推出{product}，称其在代码和数学基准上达到业界领先水平。"
    else:
        title = f"{org} {rng.choice(VERBS)} {product}, {rng.choice(TAILS)} #{n}"
        lead = (
            f"{org} said on {rng.choice(['Monday', 'Tuesday', 'Friday'])} that {product} is "
            f"available to developers. The company claims it rivals "
            f"{rng.choice(PRODUCTS)} on coding and math benchmarks."
        )
    body = (
        f'<p>{escape(lead)}</p><figure><img src="https://cdn.example/{feed}/{n}.jpg" '
        f'alt="{escape(product)}" width="1200" height="675"/><figcaption>{escape(product)}'
        f'</figcaption></figure><p>Analysts at <a href="https://research.example/{n}">'
        f"Research Co</a> said the release <strong>narrows the gap</strong> with "
        f"<em>{escape(rng.choice(PRODUCTS))}</em>.</p><ul><li>Context: 128K tokens</li>"
        f"<li>Licence: {rng.choice(['Apache 2.0', 'MIT', 'proprietary'])}</li></ul>"
        f"<blockquote>We are just getting started.</blockquote>"
    )
    categories = "".join(
        f"<category><![CDATA[{c}]]></category>" for c in rng.sample(_CATEGORIES, 3)
    )
    return (
        f"<item><title>{escape(title)}</title>"
        f"<link>https://news{feed}.example/{when:%Y/%m}/{n}/</link>"
        f"<dc:creator><![CDATA[{rng.choice(['Li Wei', 'Jane Doe', '王芳', 'Sam Patel'])}]]>"
        f"</dc:creator><pubDate>{format_datetime(when)}</pubDate>{categories}"
        f'<guid isPermaLink="false">https://news{feed}.example/?p={n}</guid>'
        f"<description><![CDATA[<p>{lead}</p><p>The post {title} appeared first on News "
        f"{feed}.</p>]]></description><content:encoded><![CDATA[{body}]]></content:encoded>"
        f"<slash:comments>{rng.randint(0, 40)}</slash:comments></item>"
    )


def realistic_feed(
    feed: int, items: int, seed: int, now: datetime | None = None, start: int = 0
) -> bytes:
    """A WordPress-shaped RSS 2.0 feed of :func:`realistic_item` items."""
    rng = random.Random(seed * 100_003 + feed * 7 + start)
    now = now or datetime.now(UTC)
    body = "".join(
        realistic_item(rng, feed * 10_000 + i, feed, now - timedelta(minutes=rng.randint(1, 600)))
        for i in range(start, start + items)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0" '
        'xmlns:content="http://purl.org/rss/1.0/modules/content/" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/" '
        'xmlns:slash="http://purl.org/rss/1.0/modules/slash/">'
        f"<channel><title>News {feed}</title><link>https://news{feed}.example/</link>"
        f"<description>AI news</description><language>en-US</language>{body}</channel></rss>"
    ).encode()
