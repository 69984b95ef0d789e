"""``gap releases``: cadence and openness, as lines every platform and the terminal share."""

from __future__ import annotations

from collections.abc import Callable

from bot.store.cadence import GROUP_ORDER, Cadence

NAMES = {"US": "🇺🇸 US", "CN": "🇨🇳 China"}


def _params(size: float | None) -> str:
    if size is None:
        return "no sizes known"
    return f"{size:.0f}B" if size >= 1 else f"{size * 1000:.0f}M"


def cadence_lines(cadence: Cadence, org_name: Callable[[str], str]) -> list[str]:
    """Every figure says what it counts: releases are stories of the release kinds (as the
    scoreboard counts them) by their primary organisation, derivatives excluded."""
    months = cadence.months
    span = f"{months[0].first:%b %Y} – {months[-1].first:%b %Y}, this month so far"
    out = [f"Releases per month over the last 12 months ({span}):"]
    for country in ("US", "CN"):
        total, opened = cadence.total(country), cadence.open_total(country)
        share = f"{opened / total:.0%}" if total else "n/a"
        counts = " ".join(str(m.releases.get(country, 0)) for m in months)
        shares = " ".join(
            "-" if m.open_share(country) is None else f"{m.open_share(country):.0%}" for m in months
        )
        out.append(
            f"{NAMES[country]}: {total} releases, {opened} with open weights ({share}); "
            f"releases by month: {counts}; open-weights share by month: {shares}"
        )
    for country in ("US", "CN"):
        kinds = cadence.modalities.get(country, {})
        split = ", ".join(f"{g} {kinds[g]}" for g in GROUP_ORDER if kinds.get(g))
        sized = cadence.sized.get(country, 0)
        median = _params(cadence.median_params.get(country))
        orgs = ", ".join(f"{org_name(o)} {n}" for o, n in cadence.top_orgs.get(country, []))
        out.append(
            f"{NAMES[country]}: by modality (a release can count in two) {split or 'none'}; "
            f"median size of open releases {median} ({sized} with a known size); "
            f"top organisations: {orgs or 'none'}."
        )
    c = cadence.coverage
    out.append(
        f"Coverage: racewatch polls {c.get('US', 0)} US sources, {c.get('CN', 0)} Chinese, "
        f"{c.get('other', 0)} from elsewhere, {c.get('global', 0)} global boards and "
        f"{c.get('unknown', 0)} without a country (press, arXiv): the counts follow the "
        "source list as much as the race."
    )
    return out
