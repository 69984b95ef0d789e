"""Set-up checks that need no network: the variables each destination and chat need, the
shape of tokens and webhook URLs, and the Slack scopes racewatch calls for.

``racewatch doctor`` runs them before it asks the platforms anything; ``racewatch run`` logs
them as warnings at start-up, so a feature that would be silently off is named with its fix.
Messages never quote a secret: a webhook URL carries its token, so only its shape is shown.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from urllib.parse import urlsplit

from bot.config.settings import DestinationSpec, PlatformSettings

# Every Slack Web API method racewatch calls (slack_sdk's name for it) and the bot scopes
# Slack documents for it (docs.slack.dev/reference/methods); the first scope covers public
# channels, a ``groups:`` one the same for private channels. tests/test_doctor.py checks
# that the code calls no other method and that slack/manifest.yaml asks for all of these.
SLACK_METHOD_SCOPES: dict[str, tuple[str, ...]] = {
    "auth_test": (),
    "chat_postMessage": ("chat:write",),
    "conversations_history": ("channels:history", "groups:history"),
    "conversations_replies": ("channels:history", "groups:history"),
    "conversations_info": ("channels:read", "groups:read"),
    "files_upload_v2": ("files:write",),
    "usergroups_users_list": ("usergroups:read",),
}
# what each scope is for, in the words doctor uses
SLACK_SCOPE_USES: dict[str, str] = {
    "chat:write": "post alerts",
    "chat:write.public": "post to public channels without an /invite",
    "channels:history": "find an alert an interrupted send already posted (no duplicates)",
    "groups:history": "the same in private channels",
    "channels:read": "check the alert channel",
    "groups:read": "the same for private channels",
    "commands": "the /race command",
    "files:write": "the gap chart in /race",
    "usergroups:read": "admin user groups (platforms.slack_admin_groups)",
}
MANIFEST_ONLY = ("commands", "chat:write.public")  # scopes for features, not API methods

_DISCORD_WEBHOOK = re.compile(
    r"https://(?:(?:ptb|canary)\.)?discord(?:app)?\.com/api/webhooks/"
    r"\d{17,20}/[A-Za-z0-9._-]{60,}"
)
DISCORD_WEBHOOK_SHAPE = "https://discord.com/api/webhooks/ID/TOKEN"
_WHAT = {
    "discord": "Discord bot token (Developer Portal -> your app -> Bot -> Reset Token)",
    "slack": "Slack Bot User OAuth Token (xoxb-...; your app -> Install App)",
    "discord_webhook": "Discord webhook URL (channel settings -> Integrations -> Webhooks)",
    "webhook": "webhook URL",
}


def destination_problems(spec: DestinationSpec, env: Mapping[str, str]) -> list[str]:
    """What is missing or malformed for one destination, before any network call."""
    var = spec.secret_env
    if var is None:
        return []
    value = env.get(var, "").strip()
    if not value:
        return [f"{var} is not set: put the {_WHAT[spec.type]} in the environment or in .env"]
    if spec.type == "discord_webhook":
        return discord_webhook_problems(var, value)
    if spec.type == "webhook":
        return webhook_url_problems(var, value)
    if spec.type == "slack" and not value.startswith("xoxb-"):
        return [f"{var} is not a bot token: expected the {_WHAT['slack']}"]
    if spec.type == "discord" and value.lower().startswith("bot "):
        return [f"{var} starts with 'Bot ': give the token alone, racewatch adds the prefix"]
    return []


def webhook_url_problems(var: str, url: str) -> list[str]:
    """An http(s) URL with a host; the URL itself is a secret and is never repeated."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        got = f"scheme '{parts.scheme}'" if parts.scheme else "no scheme"
        return [f"{var} must be an http:// or https:// URL (it has {got})"]
    if not parts.hostname:
        return [f"{var} has no host: expected https://HOST/PATH"]
    return []


def discord_webhook_problems(var: str, url: str) -> list[str]:
    problems = webhook_url_problems(var, url)
    if problems:
        return problems
    if not _DISCORD_WEBHOOK.fullmatch(url.split("?", 1)[0]):
        host = urlsplit(url).hostname
        return [
            f"{var} is not a Discord webhook URL (host {host}): expected "
            f"{DISCORD_WEBHOOK_SHAPE}, as Copy Webhook URL gives it"
        ]
    return []


def chat_problems(platforms: PlatformSettings, env: Mapping[str, str]) -> list[str]:
    """Why ``/race`` would be off or unsafe although a chat token is set."""
    if not platforms.chat_commands:
        return []
    bot = env.get("SLACK_BOT_TOKEN", "").strip()
    app = env.get("SLACK_APP_TOKEN", "").strip()
    problems = []
    if bot and not bot.startswith("xoxb-"):
        problems.append(f"SLACK_BOT_TOKEN is not a bot token: expected the {_WHAT['slack']}")
    if bot and platforms.slack_mode == "socket":
        if not app:
            problems.append(
                "SLACK_APP_TOKEN is not set, so /race is off in Slack (Socket Mode needs it): "
                "your app -> Basic Information -> App-Level Tokens -> Generate, with the "
                "connections:write scope, and put the xapp-... token in SLACK_APP_TOKEN"
            )
        elif not app.startswith("xapp-"):
            problems.append(
                "SLACK_APP_TOKEN is not an app-level token: expected xapp-... (Basic "
                "Information -> App-Level Tokens)"
            )
    if bot and platforms.slack_mode == "http" and not env.get("SLACK_SIGNING_SECRET"):
        problems.append(
            "SLACK_SIGNING_SECRET is not set: in HTTP mode Slack's requests cannot be verified "
            "(Basic Information -> Signing Secret)"
        )
    if app and not bot:
        problems.append("SLACK_APP_TOKEN is set but SLACK_BOT_TOKEN is not: /race needs both")
    return problems


# the bot scopes an alert destination uses (public channels)
SLACK_DELIVERY_SCOPES = frozenset({"chat:write", "channels:read", "channels:history"})


def slack_chat_scopes(platforms: PlatformSettings) -> set[str]:
    """The bot scopes ``/race`` uses with these settings."""
    needed = {"commands", "chat:write", "files:write"}
    if platforms.slack_admin_groups:
        needed.add("usergroups:read")
    return needed


def slack_scope_problems(granted: set[str], needed: set[str] | frozenset[str]) -> list[str]:
    """The scopes Slack reported on ``auth.test`` (``x-oauth-scopes``) against the needs."""
    missing = sorted(needed - granted)
    if not missing:
        return []
    uses = "; ".join(f"{s} ({SLACK_SCOPE_USES.get(s, 'used by racewatch')})" for s in missing)
    return [
        f"the Slack app lacks scopes {uses}: add them under OAuth & Permissions, or recreate "
        "the app from slack/manifest.yaml, then reinstall it"
    ]


def all_slack_scopes() -> set[str]:
    """Every scope the manifest must ask for."""
    return {s for scopes in SLACK_METHOD_SCOPES.values() for s in scopes} | set(MANIFEST_ONLY)
