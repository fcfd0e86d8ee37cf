"""The publisher port: validate, publish, verify_published, fetch_metrics — and the few errors it may raise.

Error taxonomy (what the dispatcher does with each):

* :class:`Retryable` — the platform said "not now" (429, 5xx, connection refused before sending). The post is
  retried later with exponential backoff and jitter, never earlier than ``retry_after``.
* :class:`Permanent` — the platform refused the post (4xx other than 429, bad credentials, invalid content).
  The post fails at once with the platform's message.
* :class:`UnknownOutcome` — the request may have reached the platform (a timeout after sending). The post
  becomes ``unconfirmed`` and is reconciled through :meth:`Publisher.verify_published`, never re-sent blindly.
* :class:`CannotVerify` — ``verify_published`` could not tell either way (the target cannot be queried, or the
  query failed). The post stays ``unconfirmed`` and the user is told.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any


class PublishError(Exception):
    """Base of the publisher errors; the message is the platform's, fit to show the user."""


class Retryable(PublishError):
    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class Permanent(PublishError):
    pass


class UnknownOutcome(PublishError):
    pass


class CannotVerify(PublishError):
    """Whether a post arrived cannot be told now (``permanent``: never — the target offers no way to check)."""

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


@dataclass(frozen=True)
class Media:
    path: str
    mime: str = ""
    alt: str = ""


@dataclass(frozen=True)
class OutgoingPost:
    """Everything a publisher needs to send one post; built from the ``scheduled_post`` row."""

    post_id: int
    user_id: str
    idempotency_key: str
    platform: str  # the target network (instagram, linkedin, ...)
    text: str
    hashtags: tuple[str, ...] = ()
    media: tuple[Media, ...] = ()
    scheduled_for: datetime | None = None
    account_handle: str = ""
    thread: tuple[str, ...] = ()  # a thread draft: its numbered posts, published as replies to the first

    @property
    def parts(self) -> tuple[str, ...]:
        """What to publish, in order: the thread's posts, or the one post's body."""
        return self.thread or (self.body,)

    @property
    def body(self) -> str:
        """The text as posted: the caption, a blank line, the hashtags."""
        tags = " ".join(f"#{t}" for t in self.hashtags)
        return f"{self.text}\n\n{tags}" if tags else self.text


@dataclass(frozen=True)
class PublishResult:
    external_id: str
    url: str | None = None
    published_at: datetime | None = None


@dataclass(frozen=True)
class PostMetrics:
    impressions: int | None = None
    likes: int | None = None
    comments: int | None = None
    shares: int | None = None
    saves: int | None = None
    clicks: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)


class Publisher(ABC):
    """One target (a platform account, a webhook, the local outbox)."""

    name: str = "publisher"

    def validate(self, post: OutgoingPost) -> list[str]:
        """Problems that make the post unpublishable here (empty means fine). Never calls the network."""
        return [] if post.text.strip() or post.media else ["The post has no text and no media."]

    @abstractmethod
    async def publish(self, post: OutgoingPost) -> PublishResult:
        """Send the post once. Raises Retryable, Permanent or UnknownOutcome."""

    @abstractmethod
    async def verify_published(self, post: OutgoingPost) -> PublishResult | None:
        """Find the post on the target by its idempotency key: the result, None if it is not there.
        Raises CannotVerify when it cannot tell."""

    @abstractmethod
    async def fetch_metrics(self, external_id: str) -> PostMetrics:
        """The post's current numbers. Raises Retryable/Permanent like publish."""

    async def aclose(self) -> None:  # noqa: B027 - optional hook
        """Release connections."""


def retry_after_seconds(headers: Mapping[str, str], *, now: datetime | None = None) -> float | None:
    """Seconds to wait from ``Retry-After`` (seconds or an HTTP date) or a rate-limit reset header
    (``X-RateLimit-Reset`` / ``RateLimit-Reset`` as an ISO time, epoch seconds, or seconds to wait)."""
    now = now or datetime.now(UTC)
    lower = {k.lower(): v for k, v in headers.items()}
    value = lower.get("retry-after")
    if value:
        value = value.strip()
        if value.replace(".", "", 1).isdigit():
            return max(0.0, float(value))
        try:
            return max(0.0, (parsedate_to_datetime(value) - now).total_seconds())
        except (TypeError, ValueError):
            pass
    for name in ("x-ratelimit-reset", "ratelimit-reset"):
        value = (lower.get(name) or "").strip()
        if not value:
            continue
        if value.replace(".", "", 1).isdigit():
            number = float(value)
            # an epoch timestamp, else a number of seconds to wait
            return max(0.0, number - now.timestamp()) if number > 1_000_000_000 else number
        try:
            reset = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            continue
        if reset.tzinfo is None:
            reset = reset.replace(tzinfo=UTC)
        return max(0.0, (reset - now).total_seconds())
    return None
