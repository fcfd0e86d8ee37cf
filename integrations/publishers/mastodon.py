"""Mastodon publisher, through Mastodon.py.

* publish: media first (``media_post`` with the alt text, waiting until the server has processed it), then
  ``status_post`` with the post's idempotency key as ``Idempotency-Key`` — Mastodon keeps the key for an
  hour and answers a repeat with the status it already made, so a retried request never posts twice;
* verify_published: the account's own recent statuses, matched on the text (Mastodon cannot be asked for a
  status by idempotency key);
* fetch_metrics: favourites, boosts and replies of the status.

Errors: 429 (with ``Retry-After`` / ``X-RateLimit-Reset``), 5xx and a connection that failed before sending
are retryable; other 4xx are permanent; a timeout after the request went out is an unknown outcome.

Mastodon.py is synchronous (requests); each call runs in a worker thread.
"""

from __future__ import annotations

import asyncio
import html
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from typing import Any, TypeVar

import requests
from mastodon import (
    Mastodon,
    MastodonAPIError,
    MastodonError,
    MastodonNetworkError,
    MastodonRatelimitError,
    MastodonServerError,
)

from integrations.publishers.base import (
    CannotVerify,
    OutgoingPost,
    Permanent,
    PostMetrics,
    Publisher,
    PublishResult,
    Retryable,
    UnknownOutcome,
    retry_after_seconds,
)

T = TypeVar("T")
MAX_MEDIA = 4
MAX_ALT_CHARS = 1500
# how far back verify_published looks: the account's latest statuses
VERIFY_WINDOW = 40


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in {"br", "p"}:
            self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def plain_text(content: str) -> str:
    """A status's HTML as plain words, whitespace collapsed (for matching a post against what we sent)."""
    parser = _Text()
    parser.feed(content)
    return " ".join(html.unescape("".join(parser.parts)).split())


def _normalise(text: str) -> str:
    return " ".join(text.split())


class MastodonPublisher(Publisher):
    name = "mastodon"

    def __init__(
        self,
        base_url: str,
        access_token: str,
        *,
        timeout_s: float = 30.0,
        max_chars: int = 500,
        visibility: str = "public",
    ) -> None:
        if not base_url.startswith(("http://", "https://")):
            raise ValueError("the Mastodon instance URL must be http(s)")
        if not access_token:
            raise ValueError("a Mastodon account needs an access token")
        self.base_url = base_url.rstrip("/")
        self.max_chars = max_chars
        self.visibility = visibility
        self._last_headers: dict[str, str] = {}
        session = requests.Session()
        session.hooks["response"].append(self._remember_headers)
        self._client = Mastodon(
            access_token=access_token,
            api_base_url=self.base_url,
            request_timeout=timeout_s,
            ratelimit_method="throw",  # the dispatcher decides when to come back, not a sleeping thread
            version_check_mode="none",
            # Mastodon.py otherwise asks /api/v*/instance for the version on first use and recurses without
            # end when that fails (2.3.3); posting, media and reading statuses are the same on every 4.x.
            mastodon_version="4.3.0",
            session=session,
        )
        self._session = session
        self._account_id: str | None = None

    def _remember_headers(self, response: requests.Response, *args: Any, **kwargs: Any) -> None:
        self._last_headers = dict(response.headers)

    def validate(self, post: OutgoingPost) -> list[str]:
        problems = super().validate(post)
        if len(post.body) > self.max_chars:
            problems.append(
                f"The post is {len(post.body)} characters; this instance allows {self.max_chars}."
            )
        if len(post.media) > MAX_MEDIA:
            problems.append(f"Mastodon takes at most {MAX_MEDIA} images or one video per post.")
        return problems

    async def _call(self, fn: Callable[[], T], *, sent: bool) -> T:
        """Run one Mastodon.py call in a thread and translate its errors. ``sent``: whether a timeout may
        mean the platform acted (a status post) — then it is an unknown outcome, not a retry."""
        try:
            return await asyncio.to_thread(fn)
        except MastodonRatelimitError as exc:
            raise Retryable(
                f"Mastodon rate limit: {exc}", retry_after=retry_after_seconds(self._last_headers)
            ) from exc
        except MastodonServerError as exc:
            raise Retryable(f"Mastodon server error {_status(exc)}: {_message(exc)}") from exc
        except MastodonAPIError as exc:
            status = _status(exc)
            if status in {408, 425, 429}:
                raise Retryable(
                    f"Mastodon answered {status}", retry_after=retry_after_seconds(self._last_headers)
                ) from exc
            raise Permanent(f"Mastodon refused it ({status}): {_message(exc)}") from exc
        except MastodonNetworkError as exc:
            cause = exc.__context__
            before_sending = isinstance(cause, requests.ConnectionError | requests.ConnectTimeout) and not (
                isinstance(cause, requests.ReadTimeout)
            )
            if before_sending or not sent:
                raise Retryable(f"Could not reach {self.base_url}: {cause or exc}") from exc
            raise UnknownOutcome(f"No answer from {self.base_url} after sending: {cause or exc}") from exc
        except MastodonError as exc:  # bad arguments, unreadable media, unparsable answer
            raise Permanent(f"Mastodon: {exc}") from exc

    async def publish(self, post: OutgoingPost) -> PublishResult:
        media_ids = []
        for item in post.media[:MAX_MEDIA]:
            media = await self._call(
                lambda item=item: self._client.media_post(  # type: ignore[misc]
                    item.path,
                    mime_type=item.mime or None,
                    description=(item.alt or None) and item.alt[:MAX_ALT_CHARS],
                    synchronous=True,
                ),
                sent=False,  # an orphan upload is harmless; the status is what must not repeat
            )
            media_ids.append(media["id"])
        first: Any = None
        reply_to: Any = None
        for index, text in enumerate(post.parts):
            # the root keeps the post's key (what verify_published looks for); each reply has its own
            key = post.idempotency_key if index == 0 else f"{post.idempotency_key}:{index}"
            status = await self._call(
                lambda text=text, key=key, reply_to=reply_to, index=index: self._client.status_post(  # type: ignore[misc]
                    text,
                    in_reply_to_id=reply_to,
                    media_ids=(media_ids or None) if index == 0 else None,
                    visibility=self.visibility,
                    idempotency_key=key,
                ),
                sent=True,
            )
            reply_to = status["id"]
            first = first or status
        return _result(first)

    async def verify_published(self, post: OutgoingPost) -> PublishResult | None:
        try:
            if self._account_id is None:
                me = await self._call(self._client.account_verify_credentials, sent=False)
                self._account_id = str(me["id"])
            account_id = self._account_id
            statuses = await self._call(
                lambda: self._client.account_statuses(account_id, limit=VERIFY_WINDOW), sent=False
            )
        except (Retryable, Permanent) as exc:
            raise CannotVerify(f"Could not read the account's statuses: {exc}") from exc
        wanted = _normalise(post.parts[0])
        since = (post.scheduled_for or datetime.now(UTC)) - timedelta(days=2)
        for status in statuses or []:
            created = status.get("created_at")
            if isinstance(created, datetime) and created.astimezone(UTC) < since:
                continue
            if plain_text(str(status.get("content") or "")) == wanted:
                return _result(status)
        return None

    async def fetch_metrics(self, external_id: str) -> PostMetrics:
        status = await self._call(lambda: self._client.status(external_id), sent=False)
        return PostMetrics(
            likes=int(status.get("favourites_count") or 0),
            shares=int(status.get("reblogs_count") or 0),
            comments=int(status.get("replies_count") or 0),
        )

    async def aclose(self) -> None:
        self._session.close()


def _result(status: Any) -> PublishResult:
    created = status.get("created_at")
    return PublishResult(
        external_id=str(status["id"]),
        url=status.get("url") or status.get("uri"),
        published_at=created.astimezone(UTC) if isinstance(created, datetime) else None,
    )


def _status(exc: MastodonError) -> int:
    args = exc.args
    return int(args[1]) if len(args) > 1 and isinstance(args[1], int) else 0


def _message(exc: MastodonError) -> str:
    args = exc.args
    detail = args[3] if len(args) > 3 and args[3] else (args[2] if len(args) > 2 else "")
    return re.sub(r"\s+", " ", str(detail or args[0] if args else exc))[:300]
