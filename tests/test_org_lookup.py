"""/race org and latest find the organisation people mean, in any language or spelling."""

from __future__ import annotations

import pytest

from bot.attribution.registry import load_registry
from bot.commands.orgs import OrgLookup
from bot.commands.reply import UserError


@pytest.fixture(scope="module")
def lookup() -> OrgLookup:
    return OrgLookup(load_registry([]))


@pytest.mark.parametrize(
    ("typed", "org"),
    [
        ("Zhipu", "zhipu"),
        ("智谱", "zhipu"),
        ("月之暗面", "moonshot"),
        ("DeepSeek AI", "deepseek"),
        ("Open AI", "openai"),
        ("openai", "openai"),
        ("DeepSeak", "deepseek"),  # one letter wrong
        ("ByteDanse", "bytedance"),
        ("Antropic", "anthropic"),
        ("Zhipuu", "zhipu"),
        ("Kimi", "moonshot"),  # a product names its maker
        ("JD.com", "jd"),
        ("Moonsh", "moonshot"),  # the start of one name only
    ],
)
def test_organisations_are_found_as_typed(lookup: OrgLookup, typed: str, org: str) -> None:
    assert lookup.one(typed).id == org


@pytest.mark.parametrize(("typed", "code"), [("US", "US"), ("China", "CN"), ("美国", "US")])
def test_country_words_are_not_organisations(lookup: OrgLookup, typed: str, code: str) -> None:
    with pytest.raises(UserError) as caught:
        lookup.one(typed)
    assert f"is a country, not an organisation: try /race latest {code}" in str(caught.value)


def test_unsure_lookups_ask_did_you_mean(lookup: OrgLookup) -> None:
    with pytest.raises(UserError) as caught:
        lookup.one("Micro")
    assert "Did you mean 'Micron' or 'Microsoft'?" in str(caught.value)
    with pytest.raises(UserError) as caught:
        lookup.one("zzqx")
    assert "No organisation matches 'zzqx'" in str(caught.value)
