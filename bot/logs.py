"""Logging: readable by default, JSON lines on request. Tokens never reach a log line."""

from __future__ import annotations

import json
import logging
import os
import re
from datetime import UTC, datetime

from rich.console import Console
from rich.logging import RichHandler

_SECRET_ENV = (
    "DISCORD_TOKEN",
    "SLACK_BOT_TOKEN",
    "SLACK_APP_TOKEN",
    "SLACK_SIGNING_SECRET",
    "HF_TOKEN",
    "RACEWATCH_LLM_API_KEY",
    "DISCORD_WEBHOOK_URL",
    "HF_WEBHOOK_SECRET",
)
_TOKENISH = re.compile(
    r"(xox[abposr]-[\w-]{10,}|xapp-[\w-]{10,}|hf_[A-Za-z0-9]{20,}|"
    r"discord(?:app)?\.com/api/webhooks/\d+/[\w-]+|sk-[A-Za-z0-9_-]{20,})"
)


class RedactSecrets(logging.Filter):
    """Replaces known secret values and token-shaped strings with [redacted]."""

    def __init__(self) -> None:
        super().__init__()
        self.values = [v for k in _SECRET_ENV if (v := os.environ.get(k)) and len(v) >= 8]

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = _TOKENISH.sub("[redacted]", message)
        for value in self.values:
            cleaned = cleaned.replace(value, "[redacted]")
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        data = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            data["error"] = self.formatException(record.exc_info)
        return json.dumps(data, ensure_ascii=False)


def setup_logging(level: str = "info", fmt: str = "text", verbose: int = 0) -> None:
    numeric = logging.DEBUG if verbose else getattr(logging, level.upper(), logging.INFO)
    handler: logging.Handler
    if fmt == "json":
        handler = logging.StreamHandler()
        handler.setFormatter(JsonFormatter())
    else:
        handler = RichHandler(  # logs go to stderr; stdout is for results
            console=Console(stderr=True),
            show_path=False,
            markup=False,
            rich_tracebacks=False,
            log_time_format="%H:%M:%S",
        )
    handler.addFilter(RedactSecrets())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(numeric)
    # APScheduler warns whenever a run is skipped because the previous one is still busy,
    # which is exactly what racewatch asks of it (max_instances=1)
    logging.getLogger("apscheduler").setLevel(logging.ERROR if verbose < 2 else logging.DEBUG)
    for noisy in ("alembic", "aiohttp", "slack_bolt", "slack_sdk"):
        logging.getLogger(noisy).setLevel(logging.WARNING if verbose < 2 else logging.DEBUG)
    # discord.py warns about voice and intents racewatch does not use
    logging.getLogger("discord").setLevel(logging.ERROR if verbose < 2 else logging.DEBUG)
