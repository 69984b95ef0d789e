"""Feeds shaped like the ones racewatch reads in the wild (WordPress, Blogger, GitHub releases,
arXiv, Chinese outlets, podcasts), with their quirks: CDATA, entities, HTML in titles,
relative links, odd dates, authors with e-mail addresses, duplicate categories. Each entry is
``name -> (body, content type)``. Used to hold the fast parse path to feedparser's reading."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from xml.sax.saxutils import escape

from bot.bench.data import realistic_feed, rss_feed

NS = (
    'xmlns:content="http://purl.org/rss/1.0/modules/content/" '
    'xmlns:dc="http://purl.org/dc/elements/1.1/" '
    'xmlns:wfw="http://wellformedweb.org/CommentAPI/" '
    'xmlns:slash="http://purl.org/rss/1.0/modules/slash/" '
    'xmlns:media="http://search.yahoo.com/mrss/" '
    'xmlns:atom="http://www.w3.org/2005/Atom"'
)
NOW = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)
ZH = [
    "深度求索发布新一代推理模型",
    "阿里巴巴开源通义千问3",
    "月之暗面完成新一轮融资",
    "智谱推出视频生成应用",
]
EN = [
    "DeepSeek&#8217;s V3.2 tops the open-weights board",
    "OpenAI &amp; Microsoft renegotiate &lt;b&gt;compute&lt;/b&gt; deal",
    "Qwen3-Max: what&#8217;s new — and what isn&#x2019;t",
    "Nvidia H20 exports: the rule, explained",
]


def rss(items: str, extra: str = "", channel_title: str = "Blog &amp; News") -> bytes:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0" {NS}>\n<channel>'
        f"<title>{channel_title}</title><link>https://blog.example/</link>"
        f"<description>x</description><language>en-US</language>{extra}\n{items}"
        "</channel></rss>\n"
    ).encode()


def wordpress(seed: int, count: int = 12) -> bytes:
    rng = random.Random(seed)
    out = []
    for i in range(count):
        zh = rng.random() < 0.2
        title = rng.choice(ZH) if zh else rng.choice(EN)
        when = format_datetime(NOW - timedelta(hours=rng.randint(1, 500)))
        cats = "".join(
            f"<category><![CDATA[{c}]]></category>"
            for c in rng.sample(["AI", "Chips", "China", "Policy", "AI", "大模型"], 3)
        )
        body = (
            f"<p>{'据报道，' if zh else 'According to people familiar, '}the model "
            f'<a href="/tag/{i}">scores</a> <strong>90.1</strong> on <em>MMLU</em>.</p>'
            f'<figure><img src="https://cdn.example/{i}.png" alt="chart"/>'
            "<figcaption>Scores</figcaption></figure><script>track()</script>"
            f"<ul><li>one</li><li>two &amp; three</li></ul>"
        )
        out.append(
            f"<item><title>{title}</title>"
            f"<link>https://blog.example/{2025}/{i}/post-{i}/</link>"
            f"<dc:creator><![CDATA[{rng.choice(['Li Wei', 'Jane Doe', '王芳'])}]]></dc:creator>"
            f"<pubDate>{when}</pubDate>{cats}"
            f'<guid isPermaLink="false">https://blog.example/?p={1000 + i}</guid>'
            f"<description><![CDATA[{body[:120]}... <p>The post {title} appeared first on "
            f"Blog.</p>]]></description><content:encoded><![CDATA[{body}]]></content:encoded>"
            f"<comments>https://blog.example/{i}#respond</comments>"
            f"<wfw:commentRss>https://blog.example/{i}/feed/</wfw:commentRss>"
            f"<slash:comments>{rng.randint(0, 9)}</slash:comments>"
            f'<media:thumbnail url="https://cdn.example/{i}.jpg"/></item>\n'
        )
    return rss("".join(out))


def atom(entries: str, lang: str = ' xml:lang="en"', title: str = "Releases") -> bytes:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom"'
        f' xmlns:media="http://search.yahoo.com/mrss/"{lang}><id>tag:x</id><title>{title}</title>'
        f'<updated>2026-11-20T00:00:00Z</updated><link rel="self" href="https://x.example/f"/>'
        f"{entries}</feed>"
    ).encode()


def github_releases(count: int = 10) -> bytes:
    out = []
    for i in range(count):
        tag = f"v0.{i}.{i * 3}"
        out.append(
            f"<entry><id>tag:github.com,2008:Repository/612354784/{tag}</id>"
            f"<updated>2026-11-{10 + i:02d}T0{i % 10}:12:4{i % 10}Z</updated>"
            f'<link rel="alternate" type="text/html" '
            f'href="https://github.com/deepseek-ai/DeepEP/releases/tag/{tag}"/>'
            f"<title>{tag}</title>"
            f'<content type="html">&lt;h2&gt;What&amp;#39;s Changed&lt;/h2&gt;&lt;ul&gt;&lt;li&gt;'
            f"Fix FP8 path by @dev in #{100 + i}&lt;/li&gt;&lt;/ul&gt;</content>"
            f"<author><name>deepseek-bot</name></author>"
            f'<media:thumbnail height="30" width="30" url="https://avatars.example/{i}"/>'
            "</entry>"
        )
    return atom("".join(out), lang=' xml:lang="en-US"')


def blogger(count: int = 8) -> bytes:
    out = []
    for i in range(count):
        out.append(
            f"<entry><id>tag:blogger.com,1999:blog-1.post-{9000 + i}</id>"
            f"<published>2026-10-0{1 + i % 9}T10:0{i % 10}:00.000-07:00</published>"
            f"<updated>2026-10-0{1 + i % 9}T11:00:00.001-07:00</updated>"
            f'<category scheme="http://www.blogger.com/atom/ns#" term="Gemini"/>'
            f'<category scheme="http://www.blogger.com/atom/ns#" term="research"/>'
            f'<title type="text">Scaling {i} &amp; friends</title>'
            f'<summary type="html">&lt;p&gt;Summary {i}&lt;/p&gt;</summary>'
            f'<content type="html">&lt;p&gt;Body {i} with &lt;a href="/x"&gt;link&lt;/a&gt;'
            "&lt;/p&gt;</content>"
            f'<link rel="replies" type="application/atom+xml" href="https://b.example/{i}/c"/>'
            f'<link rel="edit" type="application/atom+xml" href="https://b.example/e/{i}"/>'
            f'<link rel="alternate" type="text/html" href="https://b.example/2026/10/p{i}.html" '
            f'title="p{i}"/>'
            f"<author><name>Research Blog</name><email>noreply@blogger.com</email></author>"
            "</entry>"
        )
    return atom("".join(out), title="Google Research Blog")


def arxiv(count: int = 10) -> bytes:
    out = []
    for i in range(count):
        out.append(
            f"<item><title>Efficient MoE Routing for Long Context {i}</title>"
            f"<link>https://arxiv.org/abs/2511.{10000 + i}</link>"
            f"<description>arXiv:2511.{10000 + i}v1 Announce Type: new \nAbstract: We study "
            f"routing in mixture-of-experts models with $O(n)$ cost &lt; baseline.</description>"
            f'<guid isPermaLink="false">oai:arXiv.org:2511.{10000 + i}v1</guid>'
            f"<category>cs.CL</category><category>cs.LG</category>"
            f"<pubDate>Thu, 20 Nov 2026 00:00:00 -0500</pubDate>"
            f"<dc:creator>Wei Zhang, Ana Silva, Kenji Sato</dc:creator></item>"
        )
    return rss("".join(out), channel_title="cs.CL updates on arXiv.org")


def chinese_outlet(count: int = 10) -> bytes:
    out = []
    for i in range(count):
        out.append(
            f"<item><title><![CDATA[{ZH[i % len(ZH)]} {i}]]></title>"
            f"<link>https://36kr.example/p/{3000000 + i}</link>"
            f"<description><![CDATA[<p>{ZH[(i + 1) % len(ZH)]}。本文来自微信公众号</p>]]>"
            f"</description><pubDate>Thu, 20 Nov 2026 1{i % 10}:00:00 +0800</pubDate>"
            f"<author>36氪</author></item>"
        )
    return rss("".join(out), channel_title="36氪").replace(b"en-US", b"zh-cn")


def quirks() -> bytes:
    """One feature per item: whitespace, relative links, authors, dates, missing fields."""
    items = [
        "<item><title>  spaced  </title><guid>  https://q.example/1  </guid></item>",
        "<item><title>triple slash</title><guid>http:///q.example/2</guid></item>",
        "<item><title>relative</title><link>/posts/3</link><guid>posts/3</guid></item>",
        '<item><title>not a link</title><guid isPermaLink="false">id-4</guid></item>',
        "<item><title>mail and name</title><guid>5</guid>"
        "<author>editor@q-news.org (Ed Itor)</author></item>",
        "<item><title>name</title><guid>6</guid><author>Ed Itor</author></item>",
        "<item><title>mail only</title><guid>7</guid><author>editor@q.co.uk</author></item>",
        "<item><title>EST</title><guid>8</guid><pubDate>Mon, 02 Jun 2025 10:00:00 EST</pubDate>"
        "</item>",
        "<item><title>PDT</title><guid>9</guid><pubDate>Mon, 2 Jun 2025 10:00 PDT</pubDate></item>",
        "<item><title>Z dc</title><guid>10</guid><dc:date>2025-06-01T08:00:00Z</dc:date></item>",
        "<item><title>offset dc</title><guid>11</guid>"
        "<dc:date>2025-06-01T08:00:00.5+05:30</dc:date></item>",
        "<item><title>future</title><guid>12</guid>"
        "<pubDate>Sat, 01 Jan 2050 00:00:00 GMT</pubDate></item>",
        "<item><description>&lt;p&gt;No title, only a summary that becomes the title."
        "&lt;/p&gt;</description><guid>13</guid></item>",
        "<item><title>no id or link</title><description>hash me</description></item>",
        "<item><title>dup cats</title><guid>15</guid><category>A</category><category>A"
        '</category><category domain="x">A</category><category></category></item>',
        "<item><title>two creators</title><guid>16</guid><dc:creator>A</dc:creator>"
        "<dc:creator>B</dc:creator></item>",
        "<item><title>enclosure only</title><guid isPermaLink='false'>ep-17</guid>"
        '<enclosure url="https://cdn.q.example/ep17.mp3" length="1" type="audio/mpeg"/></item>',
        "<item><title>content first</title><guid>18</guid><content:encoded>full"
        "</content:encoded><description>short</description></item>",
        "<item><title>content only</title><guid>19</guid><content:encoded>&lt;p&gt;full&lt;/p&gt;"
        "</content:encoded></item>",
        "<item><title>bad link</title><link>javascript:alert(1)</link><guid>20</guid></item>",
        "<item><title>ipv6</title><link>http://[::1/x</link><guid isPermaLink='false'>21</guid>"
        "</item>",
        "<item><!-- a comment --><title>commented</title><guid>22</guid></item>",
        "<item><title>GMT</title><guid>23</guid><pubDate>Sun, 30 Nov 2025 23:59:59 GMT"
        "</pubDate></item>",
        "<item><title>+0000</title><guid>24</guid><pubDate>Sun, 30 Nov 2025 23:59:59 +0000"
        "</pubDate></item>",
        "<item><title>amp &amp;amp; numeric &#169; &#x4E2D;</title><guid>25</guid></item>",
    ]
    return rss("".join(items), channel_title="  Quirks  ")


def unusual() -> dict[str, tuple[bytes, str | None]]:
    """Documents the fast path must leave to feedparser, and what feedparser makes of them."""
    item = "<item><title>T</title><guid>g</guid>{}</item>"
    return {
        "xml-base": (
            rss(item.format("")).replace(b"<channel>", b'<channel xml:base="https://b.example/">'),
            None,
        ),
        "doctype-entities": (
            b'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY nbsp "&#160;">]><rss version="2.0">'
            b"<channel><title>a&nbsp;b</title><item><title>x&nbsp;y</title><guid>1</guid>"
            b"</item></channel></rss>",
            None,
        ),
        "undefined-entity": (rss(item.format("<description>a&nbsp;b</description>")), None),
        "latin-1": (
            '<?xml version="1.0" encoding="ISO-8859-1"?><rss version="2.0"><channel><title>caf\u00e9'
            "</title><item><title>caf\u00e9</title><guid>1</guid></item></channel></rss>".encode(
                "latin-1"
            ),
            None,
        ),
        "charset-header-disagrees": (rss(item.format("")), "text/xml; charset=iso-8859-1"),
        "rdf": (
            b'<?xml version="1.0"?><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"'
            b' xmlns="http://purl.org/rss/1.0/"><channel><title>R</title></channel><item '
            b'rdf:about="https://r.example/1"><title>One</title><link>https://r.example/1</link>'
            b"</item></rdf:RDF>",
            None,
        ),
        "markup-in-description": (
            rss(item.format("<description><p>raw <b>xhtml</b></p></description>")),
            None,
        ),
        "odd-date": (rss(item.format("<pubDate>2025-06-01 10:00:00 +0800</pubDate>")), None),
        "two-digit-year": (
            rss(item.format("<pubDate>Mon, 02 Jun 25 10:00:00 GMT</pubDate>")),
            None,
        ),
        "empty-date": (rss(item.format("<pubDate></pubDate>")), None),
        "author-long-tld": (rss(item.format("<author>ed@q.example (Ed)</author>")), None),
        "author-name-first": (rss(item.format("<author>Ed (ed@q.org)</author>")), None),
        "unknown-element": (rss(item.format("<dc:subject>AI</dc:subject>")), None),
        "media-group": (
            rss(item.format("<media:content url='u'><media:title>M</media:title></media:content>")),
            None,
        ),
        "atom-xhtml": (
            atom(
                '<entry><id>x</id><title>t</title><content type="xhtml"><div '
                'xmlns="http://www.w3.org/1999/xhtml"><p>hi</p></div></content></entry>'
            ),
            None,
        ),
        "atom-two-alternates": (
            atom(
                '<entry><id>x</id><title>t</title><link href="/a"/><link rel="alternate" '
                'href="/b"/></entry>'
            ),
            None,
        ),
        "atom-label-only-category": (
            atom('<entry><id>x</id><title>t</title><category label="L"/></entry>'),
            None,
        ),
        "rss-xml-lang": (
            rss(item.format("")).replace(
                b'<rss version="2.0"', b'<rss xml:lang="de" version="2.0"'
            ),
            None,
        ),
    }


def corpus() -> dict[str, tuple[bytes, str | None]]:
    """Well-formed, realistic feeds the fast path should read itself."""
    return {
        "wordpress": (wordpress(1), "application/rss+xml; charset=UTF-8"),
        "wordpress-text-xml": (wordpress(2), "text/xml"),
        "wordpress-no-type": (wordpress(3), None),
        "bench-realistic": (realistic_feed(5, 30, seed=2, now=NOW), "application/rss+xml"),
        "wordpress-html-type": (wordpress(4), "text/html; charset=utf-8"),
        "bench-synthetic": (rss_feed(7, 40, seed=3, now=NOW), "application/rss+xml"),
        "github-releases": (github_releases(), "application/atom+xml; charset=utf-8"),
        "blogger": (blogger(), "application/atom+xml"),
        "arxiv": (arxiv(), "application/rss+xml"),
        "chinese-outlet": (chinese_outlet(), "application/xml"),
        "quirks": (quirks(), None),
        "escaped-channel-title": (rss("", channel_title=escape("R&D <weekly>")), None),
    }
