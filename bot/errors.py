"""The exception hierarchy: one root, structured attributes, and a type for users to read."""

from __future__ import annotations

from dataclasses import dataclass


class RacewatchError(Exception):
    """Root of every error racewatch raises on purpose."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a piece of configuration, located as precisely as we can."""

    file: str
    line: int | None
    where: str
    message: str
    hint: str = ""

    def __str__(self) -> str:
        place = f"{self.file}:{self.line}" if self.line else self.file
        text = (
            f"{place}: {self.where}: {self.message}" if self.where else f"{place}: {self.message}"
        )
        return f"{text} (hint: {self.hint})" if self.hint else text


class ConfigError(RacewatchError):
    """Configuration that cannot be used; carries every problem found, not just the first."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


class StoreError(RacewatchError):
    """The database cannot be opened or is not one this version can use."""


class SetupError(RacewatchError):
    """racewatch cannot start as configured (a port already taken, say); the text names the
    setting to change."""


class FetchError(RacewatchError):
    """A source could not be fetched or parsed.

    ``permanent`` errors (404, not a feed, refused address) are worth telling the owner about;
    the rest are retried with backoff. ``retry_after`` is the server's own wish, in seconds.
    """

    def __init__(self, message: str, *, permanent: bool = False, retry_after: float | None = None):
        super().__init__(message)
        self.permanent = permanent
        self.retry_after = retry_after


class UserError(RacewatchError):
    """An error whose text is meant for the person who typed the command."""
