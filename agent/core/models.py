"""The domain schema (SQLModel). Every row that holds user data carries ``user_id``.

Migrations live in ``agent/migrations`` and are checked against these models by the tests.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    return datetime.now(UTC)


def new_uuid() -> str:
    return uuid.uuid4().hex


class UTCDateTime(TypeDecorator[datetime]):
    """Stores UTC, returns tz-aware UTC datetimes on SQLite and Postgres alike; refuses naive values."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: use datetime.now(UTC) or attach a timezone")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def _ts(**kw: Any) -> Any:
    return Field(default_factory=utcnow, sa_type=UTCDateTime, **kw)


def _json_list() -> Any:
    return Field(default_factory=list, sa_type=sa.JSON)


def _json_dict() -> Any:
    return Field(default_factory=dict, sa_type=sa.JSON)


class Channel(StrEnum):
    WEB = "web"
    SLACK = "slack"
    CLI = "cli"


class DraftStatus(StrEnum):
    DRAFT = "draft"
    APPROVED = "approved"
    REJECTED = "rejected"
    SCHEDULED = "scheduled"
    PUBLISHED = "published"
    ARCHIVED = "archived"


class PostState(StrEnum):
    DRAFT = "draft"
    APPROVED = "approved"
    SCHEDULED = "scheduled"
    PUBLISHING = "publishing"
    PUBLISHED = "published"
    FAILED = "failed"
    UNCONFIRMED = "unconfirmed"
    CANCELLED = "cancelled"


class EmojiPolicy(StrEnum):
    NONE = "none"
    LIGHT = "light"
    FREE = "free"


class User(SQLModel, table=True):
    __tablename__ = "studio_user"

    id: str = Field(default_factory=new_uuid, primary_key=True, max_length=32)
    email: str = Field(index=True, unique=True, max_length=320)
    display_name: str = Field(default="", max_length=200)
    password_hash: str | None = Field(default=None, max_length=400)
    is_active: bool = Field(default=True)
    created_at: datetime = _ts()


class ChannelIdentity(SQLModel, table=True):
    """A user's identity on one channel (web login, Slack team+user, the CLI)."""

    __tablename__ = "channel_identity"
    __table_args__ = (sa.UniqueConstraint("channel", "external_id", name="uq_channel_identity"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: str = Field(foreign_key="studio_user.id", index=True, ondelete="CASCADE", max_length=32)
    channel: str = Field(max_length=20)
    external_id: str = Field(max_length=200)
    created_at: datetime = _ts()


class BrandProfile(SQLModel, table=True):
    __tablename__ = "brand_profile"

    user_id: str = Field(foreign_key="studio_user.id", primary_key=True, ondelete="CASCADE", max_length=32)
    brand_name: str = Field(default="", max_length=200)
    tone: str = Field(default="friendly", max_length=200)
    audience: str = Field(default="", max_length=500)
    language: str = Field(default="en", max_length=16)
    timezone: str = Field(default="UTC", max_length=64)
    default_platforms: list[str] = _json_list()
    emoji_policy: str = Field(default=EmojiPolicy.LIGHT.value, max_length=10)
    banned_words: list[str] = _json_list()
    example_posts: list[str] = _json_list()
    updated_at: datetime = _ts()


class Asset(SQLModel, table=True):
    __tablename__ = "asset"
    __table_args__ = (sa.UniqueConstraint("user_id", "sha256", name="uq_asset_user_sha"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: str = Field(foreign_key="studio_user.id", index=True, ondelete="CASCADE", max_length=32)
    sha256: str = Field(max_length=64, index=True)
    kind: str = Field(max_length=20)  # image | video | audio | text | url
    mime: str = Field(default="", max_length=100)
    filename: str = Field(default="", max_length=300)
    size_bytes: int = Field(default=0)
    storage_path: str = Field(default="", max_length=1000)
    source_url: str | None = Field(default=None, max_length=2000)
    meta: dict[str, Any] = _json_dict()
    created_at: datetime = _ts()


class Draft(SQLModel, table=True):
    __tablename__ = "draft"

    id: int | None = Field(default=None, primary_key=True)
    user_id: str = Field(foreign_key="studio_user.id", index=True, ondelete="CASCADE", max_length=32)
    thread_id: str | None = Field(default=None, index=True, max_length=64)
    platform: str = Field(max_length=20)
    kind: str = Field(default="caption", max_length=20)  # caption | script | thread | summary ...
    text: str = Field(sa_type=sa.Text)
    hashtags: list[str] = _json_list()
    media: list[int] = _json_list()  # asset ids
    variant_group: str | None = Field(default=None, max_length=64, index=True)
    status: str = Field(default=DraftStatus.DRAFT.value, max_length=20)
    writer: str = Field(default="", max_length=100)
    score: float | None = Field(default=None)
    meta: dict[str, Any] = _json_dict()
    created_at: datetime = _ts()
    updated_at: datetime = _ts()


class PlatformAccount(SQLModel, table=True):
    __tablename__ = "platform_account"
    __table_args__ = (sa.UniqueConstraint("user_id", "platform", "handle", name="uq_account_user_handle"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: str = Field(foreign_key="studio_user.id", index=True, ondelete="CASCADE", max_length=32)
    platform: str = Field(max_length=20)
    handle: str = Field(max_length=200)
    base_url: str | None = Field(default=None, max_length=500)
    credentials_encrypted: str = Field(default="", sa_type=sa.Text)  # Fernet token, never plaintext
    state: str = Field(default="connected", max_length=20)
    created_at: datetime = _ts()


class ScheduledPost(SQLModel, table=True):
    __tablename__ = "scheduled_post"
    __table_args__ = (sa.Index("ix_scheduled_post_due", "state", "run_at"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: str = Field(foreign_key="studio_user.id", index=True, ondelete="CASCADE", max_length=32)
    draft_id: int | None = Field(default=None, foreign_key="draft.id", ondelete="SET NULL")
    account_id: int | None = Field(default=None, foreign_key="platform_account.id", ondelete="SET NULL")
    platform: str = Field(max_length=20)
    state: str = Field(default=PostState.DRAFT.value, max_length=20, index=True)
    run_at: datetime | None = Field(default=None, sa_type=UTCDateTime, index=True)
    timezone: str = Field(default="UTC", max_length=64)
    attempts: int = Field(default=0)
    max_attempts: int = Field(default=5)
    claimed_by: str | None = Field(default=None, max_length=100)
    claimed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    idempotency_key: str = Field(default_factory=new_uuid, max_length=64, unique=True)
    external_id: str | None = Field(default=None, max_length=300)
    external_url: str | None = Field(default=None, max_length=1000)
    last_error: str | None = Field(default=None, sa_type=sa.Text)
    published_at: datetime | None = Field(default=None, sa_type=UTCDateTime)  # the platform's, else sent_at
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)  # when the last send began
    # unconfirmed: when the sweeper next checks the platform (None: it cannot; the user decides), checks made
    check_at: datetime | None = Field(default=None, sa_type=UTCDateTime, index=True)
    checks: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    # what the user approved (text, hashtags, media): a later edit of the draft never changes a queued post
    content: dict[str, Any] = _json_dict()
    metrics_stage: int = Field(default=0)  # metric collections done (at ~1 h, 24 h, 7 days)
    metrics_due_at: datetime | None = Field(default=None, sa_type=UTCDateTime, index=True)
    created_at: datetime = _ts()
    updated_at: datetime = _ts()


class PostTransition(SQLModel, table=True):
    """Every state change of a scheduled post, with time and reason."""

    __tablename__ = "post_transition"

    id: int | None = Field(default=None, primary_key=True)
    post_id: int = Field(foreign_key="scheduled_post.id", index=True, ondelete="CASCADE")
    from_state: str | None = Field(default=None, max_length=20)
    to_state: str = Field(max_length=20)
    reason: str = Field(default="", max_length=1000)
    at: datetime = _ts()


class Metric(SQLModel, table=True):
    __tablename__ = "metric"

    id: int | None = Field(default=None, primary_key=True)
    user_id: str = Field(foreign_key="studio_user.id", index=True, ondelete="CASCADE", max_length=32)
    post_id: int | None = Field(default=None, foreign_key="scheduled_post.id", ondelete="SET NULL")
    platform: str = Field(max_length=20)
    external_id: str | None = Field(default=None, max_length=300)
    collected_at: datetime = _ts()
    impressions: int | None = None
    likes: int | None = None
    comments: int | None = None
    shares: int | None = None
    saves: int | None = None
    clicks: int | None = None
    extra: dict[str, Any] = _json_dict()


class Memory(SQLModel, table=True):
    """A learned fact or rule about the user's brand ("we never use emojis on LinkedIn")."""

    __tablename__ = "memory"

    id: int | None = Field(default=None, primary_key=True)
    user_id: str = Field(foreign_key="studio_user.id", index=True, ondelete="CASCADE", max_length=32)
    kind: str = Field(default="fact", max_length=20)  # fact | rule | preference
    content: str = Field(max_length=2000)
    source: str = Field(default="user", max_length=50)
    created_at: datetime = _ts()


class Approval(SQLModel, table=True):
    """A human decision on an action the agent proposed (the approval interrupt)."""

    __tablename__ = "approval"

    id: int | None = Field(default=None, primary_key=True)
    user_id: str = Field(foreign_key="studio_user.id", index=True, ondelete="CASCADE", max_length=32)
    thread_id: str | None = Field(default=None, max_length=64)
    tool: str = Field(max_length=100)
    target: str = Field(default="", max_length=200)
    decision: str = Field(max_length=20)  # approved | declined
    note: str = Field(default="", max_length=1000)
    decided_at: datetime = _ts()


class SlackInstallation(SQLModel, table=True):
    """A workspace that installed the Slack bot through OAuth; the bot token is encrypted (CredentialBox)."""

    __tablename__ = "slack_installation"
    __table_args__ = (sa.UniqueConstraint("enterprise_id", "team_id", name="uq_slack_installation_team"),)

    id: int | None = Field(default=None, primary_key=True)
    enterprise_id: str = Field(default="", max_length=32)  # "" (not NULL) so the unique constraint holds
    team_id: str = Field(default="", max_length=32, index=True)
    team_name: str = Field(default="", max_length=200)
    app_id: str = Field(default="", max_length=32)
    bot_id: str = Field(default="", max_length=32)
    bot_user_id: str = Field(default="", max_length=32)
    bot_scopes: str = Field(default="", max_length=2000)
    bot_token_encrypted: str = Field(default="", sa_type=sa.Text)  # Fernet token, never plaintext
    installer_user_id: str = Field(default="", max_length=32)
    is_enterprise_install: bool = Field(default=False)
    installed_at: datetime = _ts()


class SlackLinkCode(SQLModel, table=True):
    """A one-time code a web user gets to link their Slack identity (``/studio link CODE``); hashed at rest."""

    __tablename__ = "slack_link_code"

    id: int | None = Field(default=None, primary_key=True)
    user_id: str = Field(foreign_key="studio_user.id", index=True, ondelete="CASCADE", max_length=32)
    code_hash: str = Field(max_length=64, unique=True)
    expires_at: datetime = Field(sa_type=UTCDateTime)
    used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    used_by: str | None = Field(default=None, max_length=200)  # "<team>:<slack user>"
    created_at: datetime = _ts()


class RateLimitHit(SQLModel, table=True):
    """One allowed request of a sliding-window rate limit kept in the database (the publishers' per-account
    limit while Redis is down or absent: one budget for every worker process, kept across restarts). Rows
    older than the window are deleted by the next hit on the same key (``agent/core/sql_ratelimit.py``)."""

    __tablename__ = "rate_limit_hit"
    __table_args__ = (sa.Index("ix_rate_limit_hit_key_at", "key", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=200)
    at: datetime = Field(sa_type=UTCDateTime)
