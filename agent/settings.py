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

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from agent.errors import ConfigError


class PlannerMode(StrEnum):
    AUTO = "auto"
    LLM = "llm"
    RULES = "rules"


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

    default_platforms: Annotated[list[str], NoDecode] = Field(default_factory=lambda: ["instagram"])
    max_message_chars: int = Field(default=20_000, ge=100, le=1_000_000)

    secret_key: SecretStr | None = Field(
        default=None,
        description="Fernet key(s) for stored platform credentials, comma-separated, newest first. "
        "Default: generated once into <data_dir>/secrets.json.",
    )
    auth_secret: SecretStr | None = Field(
        default=None,
        description="Secret that signs web login sessions. Default: generated into secrets.json.",
    )

    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)

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
                from cryptography.fernet import Fernet

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
