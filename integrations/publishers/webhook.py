"""Webhook publisher: POSTs the post as signed JSON to a URL (Zapier, Make, n8n, your own endpoint).

Signature: ``X-Studio-Signature: sha256=<hex HMAC-SHA256(secret, f"{timestamp}." + body)>`` with
``X-Studio-Timestamp: <unix seconds>`` — the timestamp is inside the signed bytes so a captured request
cannot be replayed later (receivers should refuse timestamps older than a few minutes; see
:func:`verify_signature`). ``Idempotency-Key`` carries the post's key: receivers should drop repeats.

Outcomes: 2xx published (``id``, ``url``, ``published_at`` from a JSON answer when present); 408, 425, 429, 5xx retryable
(``Retry-After`` honoured); other 4xx permanent; a timeout after the request was sent is an unknown outcome.
A webhook can only be verified when the account has a ``verify_url`` (GET ``?idempotency_key=K``: 200 with
``{"id": ...}`` = received, 404 = not received).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from datetime import UTC, datetime
from typing import Any

import httpx

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

RETRYABLE_STATUS = {408, 425, 429}
MAX_SIGNATURE_AGE_S = 300


def sign(secret: str, timestamp: int, body: bytes) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def verify_signature(
    secret: str, body: bytes, signature: str, timestamp: str, *, now: float | None = None
) -> bool:
    """For receivers (and tests): the signature matches and the timestamp is recent."""
    try:
        ts = int(timestamp)
    except ValueError:
        return False
    if abs((now if now is not None else time.time()) - ts) > MAX_SIGNATURE_AGE_S:
        return False
    return hmac.compare_digest(sign(secret, ts, body), signature)


class WebhookPublisher(Publisher):
    name = "webhook"

    def __init__(
        self,
        url: str,
        secret: str,
        *,
        verify_url: str | None = None,
        metrics_url: str | None = None,
        timeout_s: float = 30.0,
        client: httpx.AsyncClient | None = None,
    ) -> None:
        if not url.startswith(("http://", "https://")):
            raise ValueError("the webhook URL must be http(s)")
        if not secret:
            raise ValueError("a webhook needs a signing secret")
        self.url = url
        self.secret = secret
        self.verify_url = verify_url
        self.metrics_url = metrics_url
        self._client = client or httpx.AsyncClient(timeout=timeout_s)

    def _headers(self, body: bytes, key: str | None = None) -> dict[str, str]:
        ts = int(time.time())
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "content-studio",
            "X-Studio-Timestamp": str(ts),
            "X-Studio-Signature": sign(self.secret, ts, body),
        }
        if key:
            headers["Idempotency-Key"] = key
        return headers

    @staticmethod
    def payload(post: OutgoingPost) -> dict[str, Any]:
        return {
            "event": "post.publish",
            "idempotency_key": post.idempotency_key,
            "post_id": post.post_id,
            "platform": post.platform,
            "account": post.account_handle,
            "text": post.text,
            "hashtags": list(post.hashtags),
            "body": post.body,
            "media": [{"path": m.path, "mime": m.mime, "alt": m.alt} for m in post.media],
            "scheduled_for": post.scheduled_for.isoformat() if post.scheduled_for else None,
        }

    async def publish(self, post: OutgoingPost) -> PublishResult:
        body = json.dumps(self.payload(post), separators=(",", ":"), ensure_ascii=False).encode()
        try:
            response = await self._client.post(
                self.url, content=body, headers=self._headers(body, post.idempotency_key)
            )
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
            raise Retryable(f"The webhook could not be reached: {type(exc).__name__}") from exc
        except (httpx.ReadTimeout, httpx.WriteTimeout, httpx.RemoteProtocolError, httpx.ReadError) as exc:
            raise UnknownOutcome(
                f"The webhook did not answer after the post was sent ({type(exc).__name__})"
            ) from exc
        self._raise_for(response)
        data = _json(response)
        return PublishResult(
            external_id=str(data.get("id") or post.idempotency_key),
            url=data.get("url") or None,
            published_at=_timestamp(data),
        )

    async def verify_published(self, post: OutgoingPost) -> PublishResult | None:
        if not self.verify_url:
            raise CannotVerify(
                "This webhook has no verify_url, so delivery cannot be checked.", permanent=True
            )
        try:
            response = await self._client.get(
                self.verify_url,
                params={"idempotency_key": post.idempotency_key},
                headers=self._headers(post.idempotency_key.encode()),
            )
        except httpx.HTTPError as exc:
            raise CannotVerify(f"The verify URL failed: {type(exc).__name__}") from exc
        if response.status_code == 404:
            return None
        if not response.is_success:
            raise CannotVerify(f"The verify URL answered {response.status_code}.")
        data = _json(response)
        return PublishResult(
            external_id=str(data.get("id") or post.idempotency_key),
            url=data.get("url") or None,
            published_at=_timestamp(data),
        )

    async def fetch_metrics(self, external_id: str) -> PostMetrics:
        if not self.metrics_url:
            raise Permanent("This webhook has no metrics_url; no metrics are collected.")
        try:
            response = await self._client.get(
                self.metrics_url, params={"id": external_id}, headers=self._headers(external_id.encode())
            )
        except httpx.HTTPError as exc:
            raise Retryable(f"The metrics URL failed: {type(exc).__name__}") from exc
        self._raise_for(response)
        data = _json(response)
        fields = {k: data.get(k) for k in ("impressions", "likes", "comments", "shares", "saves", "clicks")}
        counts: dict[str, Any] = {k: int(v) for k, v in fields.items() if v is not None}
        return PostMetrics(**counts)

    @staticmethod
    def _raise_for(response: httpx.Response) -> None:
        status = response.status_code
        if 200 <= status < 300:
            return
        detail = response.text[:300].strip()
        message = f"The webhook answered {status}" + (f": {detail}" if detail else "")
        if status in RETRYABLE_STATUS or status >= 500:
            raise Retryable(message, retry_after=retry_after_seconds(response.headers))
        raise Permanent(message)

    async def aclose(self) -> None:
        await self._client.aclose()


def _timestamp(data: dict[str, Any]) -> datetime | None:
    """The receiver's own publish time, when it reports one ("published_at" or "created_at", ISO 8601)."""
    raw = data.get("published_at") or data.get("created_at")
    if not isinstance(raw, str):
        return None
    try:
        when = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        return None
    return when.astimezone(UTC) if when.tzinfo else when.replace(tzinfo=UTC)


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        data = response.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}
