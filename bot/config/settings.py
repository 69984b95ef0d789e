"""The settings file's schema. Unknown keys are errors, so a typo never silently does nothing."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Literal, get_args

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationInfo,
    field_validator,
)

from bot.located_yaml.unions import tagged_union
from bot.rules.model import Mute, Rule

# the sources' settings: one model per source kind (bot/sources/kinds/)
from bot.sources.kinds import SOURCE as SOURCE
from bot.sources.kinds import SourceSpec as SourceSpec
from bot.units import Duration, Size


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


_ENV_VAR = r"^[A-Z_][A-Z0-9_]*$"


def _numeric_id(value: str) -> str:
    if not value.isdigit():
        raise ValueError(f"'{value[:40]}' is not a channel id, which is a number")
    return value


class _Destination(Strict):
    """Where alerts go, one class per ``type``. Secrets (tokens, webhook URLs) are named by
    environment variable only: ``token_env`` for Discord and Slack bots, ``url_env`` for
    webhooks."""

    rate: float | None = Field(default=None, gt=0)  # messages per second; default: the platform's

    @property
    def secret_env(self) -> str | None:
        """The environment variable holding this destination's token or URL."""
        return None


class ConsoleDestination(_Destination):
    type: Literal["console"] = "console"


class JsonlDestination(_Destination):
    type: Literal["jsonl"] = "jsonl"
    path: str = Field(min_length=1, description="the file alerts are appended to, one per line")


class DiscordDestination(_Destination):
    type: Literal["discord"] = "discord"
    channel: Annotated[str, AfterValidator(_numeric_id)] = Field(
        description="the channel's numeric id (Discord: right-click the channel, Copy Channel ID)",
    )
    token_env: str = Field(default="DISCORD_TOKEN", pattern=_ENV_VAR)

    @property
    def secret_env(self) -> str:
        return self.token_env


class SlackDestination(_Destination):
    type: Literal["slack"] = "slack"
    channel: str = Field(min_length=1, description="the channel's id, such as C0123456789")
    token_env: str = Field(default="SLACK_BOT_TOKEN", pattern=_ENV_VAR)

    @property
    def secret_env(self) -> str:
        return self.token_env


class DiscordWebhookDestination(_Destination):
    type: Literal["discord_webhook"] = "discord_webhook"
    url_env: str = Field(default="DISCORD_WEBHOOK_URL", pattern=_ENV_VAR)

    @property
    def secret_env(self) -> str:
        return self.url_env


class WebhookDestination(_Destination):
    type: Literal["webhook"] = "webhook"
    url_env: str = Field(
        pattern=_ENV_VAR, description="the environment variable holding the webhook's URL"
    )

    @property
    def secret_env(self) -> str:
        return self.url_env


AnyDestination = (
    ConsoleDestination
    | JsonlDestination
    | DiscordDestination
    | SlackDestination
    | DiscordWebhookDestination
    | WebhookDestination
)
if TYPE_CHECKING:
    DestinationSpec = AnyDestination
else:
    DestinationSpec = tagged_union(get_args(AnyDestination), default="console")
DESTINATION: TypeAdapter[AnyDestination] = TypeAdapter(DestinationSpec)


class PlatformSettings(Strict):
    """API addresses; change them only for a proxy or a test server."""

    discord_api: str = "https://discord.com/api/v10"
    # where the Discord client opens its gateway (the websocket /race arrives on); discord.py
    # has it built in, so a proxy or a test server needs this
    discord_gateway: str = Field(default="wss://gateway.discord.gg/", pattern=r"^wss?://")
    slack_api: str = "https://slack.com/api/"
    discord_application_id: str | None = None
    slack_admin_users: list[str] = Field(default_factory=list)
    slack_admin_groups: list[str] = Field(default_factory=list)
    discord_admin_role: str | None = None
    # Discord also gets "<command>-admin": 32 characters at most in all
    command: str = Field(default="race", pattern=r"^[a-z][a-z0-9_-]{0,25}$")
    chat_commands: bool = True  # answer /race when the tokens for it are set
    slack_mode: Literal["socket", "http"] = "socket"
    max_chat_rules: int = Field(default=200, ge=0, le=100_000)  # per workspace or guild
    max_chat_sources: int = Field(default=200, ge=0, le=100_000)


class PollSettings(Strict):
    default_interval: Duration = 900
    jitter: float = Field(default=0.1, ge=0, le=0.5)
    max_item_age: Duration = 3 * 86400
    pause_after_failures: int = Field(default=10, ge=1)
    backoff_base: Duration = 300
    backoff_cap: Duration = 6 * 3600
    concurrency: int = Field(default=16, ge=1, le=256)
    per_host: int = Field(default=2, ge=1, le=32)
    host_delay: Duration = 0.0
    connect_timeout: Duration = Field(default=10, gt=0)
    read_timeout: Duration = Field(default=30, gt=0)
    max_body: Size = 10 * 1024 * 1024
    max_redirects: int = Field(default=5, ge=0, le=20)
    parse_timeout: Duration = Field(default=10, gt=0)
    allow_private_networks: bool = False
    # how often each process asks the database what is due
    tick: Duration = Field(default=5.0, gt=0)
    lease: Duration = 300.0  # a polling process that dies holds its sources this long


class HubSettings(Strict):
    huggingface_endpoint: str = "https://huggingface.co"
    modelscope_endpoint: str = "https://modelscope.cn"
    datasets_server: str = "https://datasets-server.huggingface.co"
    models_per_poll: int = Field(default=20, ge=1, le=100)


class GapSettings(Strict):
    """The capability gap: when China counts as "within reach", and which gap sizes alert."""

    within: float = Field(default=20.0, gt=0, le=500)  # points
    thresholds: list[float] = Field(default_factory=lambda: [10.0, 25.0, 50.0])
    model_overrides: list[str] = Field(default_factory=list)  # YAML files: model -> org

    @field_validator("thresholds")
    @classmethod
    def _thresholds(cls, v: list[float]) -> list[float]:
        if any(t <= 0 or t > 1000 for t in v):
            raise ValueError("thresholds are gap sizes in points, between 0 and 1000")
        return sorted(set(v))


class ReportSettings(Strict):
    """The weekly state-of-the-race post. Off by default: `state_of_the_race: {enabled: true}`."""

    enabled: bool = False
    timezone: str = "UTC"
    cron: str = "0 8 * * 1"  # Mondays at 08:00 in ``timezone``
    notify: list[str] = Field(default_factory=list)  # destination names; empty: all

    @field_validator("cron")
    @classmethod
    def _cron(cls, v: str, info: ValidationInfo) -> str:
        from bot.rules.timing import check_cron

        check_cron(v, info.data.get("timezone") or "UTC")
        return v


class ServerSettings(Strict):
    """racewatch's own HTTP endpoint: /metrics, /healthz, Hugging Face webhooks, Slack events."""

    enabled: bool = False
    host: str = "127.0.0.1"
    port: int = Field(default=8787, ge=0, le=65535)
    webhook_path: str = Field(default="/hooks/huggingface", pattern=r"^/[A-Za-z0-9/_-]*$")
    metrics: bool = True  # /metrics (Prometheus) and /healthz on the same port
    # the Hugging Face webhook receiver: None = on exactly when HF_WEBHOOK_SECRET is set;
    # true = on, and an error while the secret is missing; false = off
    webhook: bool | None = None


class LLMSettings(Strict):
    """Optional LLM summaries via an OpenAI-compatible API; the key comes from the environment."""

    enabled: bool = False
    base_url: str = "https://api.openai.com/v1"
    model: str = "gpt-4o-mini"
    api_key_env: str = Field(default="RACEWATCH_LLM_API_KEY", pattern=r"^[A-Z_][A-Z0-9_]*$")
    timeout: Duration = 10.0


def _console_only() -> dict[str, DestinationSpec]:
    return {"console": ConsoleDestination()}


class Settings(Strict):
    """Everything a racewatch process needs to know, after layering defaults, file and env."""

    database_url: str | None = None
    data_dir: str | None = None
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    log_format: Literal["text", "json"] = "text"
    default_sources: bool = True
    sources: list[SourceSpec] = Field(default_factory=list)
    destinations: dict[str, DestinationSpec] = Field(default_factory=_console_only)
    admin_destination: str | None = None
    rules: list[Rule] = Field(default_factory=list)
    mute: list[Mute] = Field(default_factory=list)
    rules_files: list[str] = Field(default_factory=list)
    default_rules: bool = True
    organisations_files: list[str] = Field(default_factory=list)
    poll: PollSettings = Field(default_factory=PollSettings)
    hub: HubSettings = Field(default_factory=HubSettings)
    gap: GapSettings = Field(default_factory=GapSettings)
    state_of_the_race: ReportSettings = Field(default_factory=ReportSettings)
    server: ServerSettings = Field(default_factory=ServerSettings)
    llm: LLMSettings = Field(default_factory=LLMSettings)
    platforms: PlatformSettings = Field(default_factory=PlatformSettings)
    outbox_interval: Duration = 2.0
    outbox_lease: Duration = 45.0  # a sending process that dies holds its alerts this long
    # how long a failing alert keeps being retried (backoff capped at 15 min) before it is
    # parked as expired and the admin is told
    outbox_retry_for: Duration = Field(default=86400.0, ge=60)
    # how often a broken destination is checked again (and once at start-up)
    destination_probe_interval: Duration = Field(default=300.0, ge=5)
    roll_up_at: int = Field(
        default=10, ge=2
    )  # more alerts due at once for one channel: one message

    @field_validator("destinations")
    @classmethod
    def _names(cls, v: dict[str, DestinationSpec]) -> dict[str, DestinationSpec]:
        for name in v:
            if not name or len(name) > 60:
                raise ValueError(f"destination name '{name}' must be 1 to 60 characters")
        return v
