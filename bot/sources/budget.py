"""Plan Hugging Face polling so the configured orgs stay well inside the API rate limit.

The Hub allows 500 API calls per 5-minute window per IP without a token (1,000 with a free
account's token). racewatch plans for half of that, so other tools on the same machine and
the occasional retry still fit; when the configured intervals would need more, every Hub
source's interval is stretched by the same factor, and the plan says so.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.config.settings import SourceSpec
from bot.sources.kinds import kind_of

WINDOW = 300.0
LIMIT_ANONYMOUS, LIMIT_TOKEN = 500, 1000
HEADROOM = 0.5


@dataclass(frozen=True)
class BudgetPlan:
    sources: list[SourceSpec]
    calls_per_window: float  # after stretching
    limit: int
    stretch: float  # 1.0 when nothing had to change

    def describe(self) -> str:
        text = (
            f"Hugging Face: {self.calls_per_window:.0f} API calls per 5 minutes planned, "
            f"limit {self.limit}"
        )
        if self.stretch > 1.0:
            text += (
                f"; Hub polling intervals stretched x{self.stretch:.2f} to stay within half of it"
            )
        return text


def plan(specs: Sequence[SourceSpec], default_interval: float, has_token: bool) -> BudgetPlan:
    limit = LIMIT_TOKEN if has_token else LIMIT_ANONYMOUS
    allowed = limit * HEADROOM
    hub = [s for s in specs if kind_of(s.type).hub_calls and s.enabled]
    calls = sum(WINDOW / max(1.0, s.interval or default_interval) for s in hub)
    stretch = max(1.0, calls / allowed) if calls else 1.0
    if stretch == 1.0:
        return BudgetPlan(list(specs), calls, limit, 1.0)
    adjusted = [
        s.model_copy(update={"interval": (s.interval or default_interval) * stretch})
        if kind_of(s.type).hub_calls
        else s
        for s in specs
    ]
    return BudgetPlan(adjusted, calls / stretch, limit, stretch)
