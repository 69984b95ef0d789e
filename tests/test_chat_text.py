"""Slack's /race text becomes typed requests with rules made for chat text."""

from __future__ import annotations

import pytest

from bot.commands.reply import UserError
from bot.commands.requests import (
    DigestNow,
    Gap,
    Help,
    Latest,
    OrgInfo,
    Search,
    SourceAdd,
    WatchAdd,
    WatchTest,
    Why,
)
from bot.commands.text import parse, unescape


@pytest.mark.parametrize(
    ("text", "request_"),
    [
        ("latest CN 5", Latest(country="CN", n=5)),
        ("latest Moonshot AI", Latest(org="Moonshot AI")),
        ("latest China", Latest(country="CN")),
        ("latest 美国 3", Latest(country="US", n=3)),
        ("latest us", Latest(country="US")),
        ("latest JD.com model_release", Latest(org="JD.com", kind="model_release")),
        ("latest org=JD.com country=CN", Latest(country="CN", org="JD.com")),
        ("latest DeepSeek US", Latest(country="US", org="DeepSeek")),
        ("search OpenAI's new model", Search(text="OpenAI's new model")),
        ("search &lt;b&gt; &amp; co", Search(text="<b> & co")),
        ("gap 90", Gap(window="90d")),
        ("org Zhipu AI", OrgInfo(query="Zhipu AI")),
        (
            "why <https://example.com/a?b=1&amp;c=2|example.com/a>",
            Why(item="https://example.com/a?b=1&c=2"),
        ),
        (
            "sources add kr <https://kr-asia.com/feed>",
            SourceAdd(source="kr", url="https://kr-asia.com/feed"),
        ),
        ("digest now", DigestNow()),
        ("", Help()),
    ],
)
def test_slack_text_becomes_typed_requests(text: str, request_: object) -> None:
    assert parse(text) == request_


def test_quoted_values_keep_spaces_backslashes_and_apostrophes() -> None:
    request = parse(
        'watch add cn-video country=CN phrase="text to video" regex=\\d+B '
        "keywords_any=kling,hailuo digest=“0 9 * * 1-5” mode=digest"
    )
    assert request == WatchAdd(
        rule="cn-video",
        fields={
            "country": "CN",
            "phrase": "text to video",
            "regex": "\\d+B",
            "keywords_any": ["kling", "hailuo"],
            "digest": "0 9 * * 1-5",
            "mode": "digest",
        },
    )
    assert parse("watch test phrase=OpenAI's") == WatchTest(fields={"phrase": "OpenAI's"})


def test_links_and_entities_are_undone() -> None:
    assert unescape("<https://a.example/x|label> &amp;&lt;&gt; <#C1|general>") == (
        "https://a.example/x &<> general"
    )


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("latets CN", "Unknown command 'latets'"),
        ('watch add x phrase="open', "never closed"),
        ("watch add x country", "should look like field=value"),
        ("latest n=²", "not a number from 1 to 20"),
        ("latest country=Atlantis", "not a country racewatch knows"),
        ("gap 12d", "is not a window"),
    ],
)
def test_bad_text_gets_a_specific_answer(text: str, says: str) -> None:
    with pytest.raises(UserError) as caught:
        parse(text)
    assert says in str(caught.value)
