"""Rule values checked against their vocabularies, each mistake with a hint to fix it.

Countries are ISO 3166 alpha-2 codes and languages ISO 639-1 codes (from pycountry, so the
lists are complete, not ours); a country or language written as a name is refused with
its code as the hint ("China" -> CN). Licences are SPDX-style ids. A value racewatch can
never see would switch a rule off without a word, so each is an error at load.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from functools import cache
from typing import Any

from bot.attribution.vocab import LICENCES, licence_id

HINT = "; hint: "  # splits a validation message from its hint (see config.validate)

_COUNTRY_SAYINGS = {"UK": "GB", "USA": "US", "PRC": "CN", "EU": ""}


@cache
def _pycountry() -> Any:
    """pycountry, imported on the first rule value checked (start-up CPU: a process whose
    rules name no country or language never reads its tables)."""
    import pycountry

    return pycountry


@cache
def _countries() -> frozenset[str]:
    return frozenset(c.alpha_2 for c in _pycountry().countries)


@cache
def _languages() -> frozenset[str]:
    return frozenset(lang.alpha_2 for lang in _pycountry().languages if hasattr(lang, "alpha_2"))


def closest(value: str, choices: Iterable[str], n: int = 3) -> list[str]:
    return difflib.get_close_matches(value.lower(), [c.lower() for c in choices], n, 0.6)


def country_code(value: str) -> str:
    """``CN`` for "cn" or "CN"; an error naming the code for "China", "UK" or "XX"."""
    code = value.strip().upper()
    if code in _countries():
        return code
    if code in _COUNTRY_SAYINGS:
        better = _COUNTRY_SAYINGS[code]
        raise ValueError(
            f"'{value}' is not an ISO 3166 country code"
            + (f"{HINT}use {better}" if better else f"{HINT}name the member countries")
        )
    pycountry = _pycountry()
    try:
        found = pycountry.countries.lookup(value.strip())
    except LookupError:
        found = None
    if found is not None:
        raise ValueError(f"'{value}' is a country name{HINT}use its code {found.alpha_2}")
    names = {c.name: c.alpha_2 for c in pycountry.countries}
    near = difflib.get_close_matches(value.strip().title(), list(names), 1, 0.75)
    hint = f"did you mean {names[near[0]]} ({near[0]})?" if near else "such as CN or US"
    raise ValueError(f"'{value}' is not an ISO 3166 two-letter country code{HINT}{hint}")


def language_code(value: str) -> str:
    """``zh`` for "zh", "ZH" or "zh-CN"; an error naming the code for "Chinese"."""
    code = value.strip().lower().replace("_", "-").split("-")[0]
    if code in _languages():
        return code
    pycountry = _pycountry()
    try:
        found = pycountry.languages.lookup(value.strip())
    except LookupError:
        found = None
    if found is not None and hasattr(found, "alpha_2"):
        raise ValueError(f"'{value}' is a language name{HINT}use its code {found.alpha_2}")
    names = {lang.name: lang.alpha_2 for lang in pycountry.languages if hasattr(lang, "alpha_2")}
    near = difflib.get_close_matches(value.strip().title(), list(names), 1, 0.75)
    hint = f"did you mean {names[near[0]]} ({near[0]})?" if near else "such as en, zh, ja or ko"
    raise ValueError(f"'{value}' is not an ISO 639-1 language code{HINT}{hint}")


def licence(value: str) -> str:
    """The licence id racewatch stores ("apache-2.0" for "Apache 2.0"), or an error."""
    found = licence_id(value)
    if found is not None:
        return found
    near = closest(value.replace(" ", "-"), LICENCES)
    hint = f"did you mean {' or '.join(near)}?" if near else "use an SPDX id such as apache-2.0"
    raise ValueError(f"unknown licence '{value}'{HINT}{hint} (or other)")
