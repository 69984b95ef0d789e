"""Slack's HTTP mode: every request is checked here before Bolt sees it.

- no signing secret, no HTTP mode: :func:`require_signing_secret` stops ``racewatch run``
  with an error naming ``SLACK_SIGNING_SECRET``;
- a missing, malformed or stale timestamp, or a bad signature, is a 401;
- a request whose signature was already seen in the 5-minute window is a replay: it is
  answered 200 (so Slack does not retry) and ignored.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from enum import Enum

from bot.errors import ConfigError, Problem

WINDOW = 300.0  # seconds: Slack's own limit for a request's age
SECRET_ENV = "SLACK_SIGNING_SECRET"


def require_signing_secret(env: Mapping[str, str]) -> str:
    secret = env.get(SECRET_ENV, "")
    if not secret:
        raise ConfigError(
            [
                Problem(
                    "environment",
                    None,
                    "platforms.slack_mode",
                    f"Slack HTTP mode needs {SECRET_ENV}: without it anyone could send "
                    "racewatch commands",
                    f"copy the Signing Secret from your Slack app's Basic Information page "
                    f"into {SECRET_ENV} (in .env or the environment), or use slack_mode: socket",
                )
            ]
        )
    return secret


class Verdict(Enum):
    OK = "ok"
    REFUSED = "refused"  # 401
    REPLAY = "replay"  # 200, ignored


class SlackRequestGuard:
    """Checks Slack's ``v0`` HMAC signature and timestamp, and remembers signatures seen."""

    def __init__(
        self, signing_secret: str, clock: Callable[[], float] = time.time, window: float = WINDOW
    ) -> None:
        if not signing_secret:
            raise ValueError(f"{SECRET_ENV} is empty")
        self._secret = signing_secret.encode()
        self.clock, self.window = clock, window
        self._seen: OrderedDict[str, float] = OrderedDict()

    def check(self, headers: Mapping[str, str], body: bytes) -> Verdict:
        stamp = headers.get("X-Slack-Request-Timestamp", "")
        signature = headers.get("X-Slack-Signature", "")
        if not (stamp.isascii() and stamp.isdigit()) or len(stamp) > 12 or not signature:
            return Verdict.REFUSED
        now = self.clock()
        if abs(now - int(stamp)) > self.window:
            return Verdict.REFUSED
        base = b"v0:" + stamp.encode() + b":" + body
        expected = "v0=" + hmac.new(self._secret, base, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, signature):
            return Verdict.REFUSED
        self._forget(now)
        if signature in self._seen:
            return Verdict.REPLAY
        self._seen[signature] = float(stamp)
        return Verdict.OK

    def _forget(self, now: float) -> None:
        while self._seen:
            oldest = next(iter(self._seen.values()))
            if now - oldest <= self.window:
                break
            self._seen.popitem(last=False)
