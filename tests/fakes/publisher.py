"""A scripted publisher for unit tests: each publish call takes the next step of a script.

Steps: ``"ok"`` (accepted), ``"accept_then_timeout"`` (the platform keeps the post but the answer is lost:
UnknownOutcome), or an exception instance to raise (``Retryable(...)``, ``Permanent(...)``). An empty script
means "ok". ``accepted`` is what the "platform" holds, by idempotency key — what ``verify_published`` sees.
"""

from __future__ import annotations

import asyncio
from typing import Any

from integrations.publishers.base import (
    CannotVerify,
    OutgoingPost,
    PostMetrics,
    Publisher,
    PublishResult,
    UnknownOutcome,
)


class ScriptedPublisher(Publisher):
    name = "scripted"

    def __init__(self, script: list[Any] | None = None, *, delay_s: float = 0.0) -> None:
        self.script = list(script or [])
        self.delay_s = delay_s
        self.calls: list[str] = []  # idempotency keys, one per publish call
        self.accepted: dict[str, PublishResult] = {}
        self.verify_calls = 0
        self.verify_fails = False
        self.verify_never = False  # verify_fails for good: the target offers no way to check
        self.metrics: dict[str, PostMetrics] = {}

    async def publish(self, post: OutgoingPost) -> PublishResult:
        self.calls.append(post.idempotency_key)
        if self.delay_s:
            await asyncio.sleep(self.delay_s)
        step = self.script.pop(0) if self.script else "ok"
        if isinstance(step, Exception):
            raise step
        result = self.accepted.get(post.idempotency_key) or PublishResult(
            external_id=f"ext-{post.post_id}", url=f"https://example.invalid/{post.post_id}"
        )
        self.accepted[post.idempotency_key] = result
        if step == "accept_then_timeout":
            raise UnknownOutcome("timed out after sending")
        return result

    async def verify_published(self, post: OutgoingPost) -> PublishResult | None:
        self.verify_calls += 1
        if self.verify_fails:
            raise CannotVerify("verification unavailable", permanent=self.verify_never)
        return self.accepted.get(post.idempotency_key)

    async def fetch_metrics(self, external_id: str) -> PostMetrics:
        return self.metrics.get(external_id, PostMetrics())
