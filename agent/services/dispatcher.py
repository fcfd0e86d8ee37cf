"""The dispatcher: claims due posts, publishes them through the publisher port and records each outcome.

The same dispatcher runs inside the studio process (driven by the APScheduler timer) and in ``studio
worker`` processes (driven by :meth:`Dispatcher.run`). Outcomes:

* published — external id/url stored, metric collection scheduled (~1 h, 24 h, 7 days);
* :class:`Retryable` — back to scheduled at ``now + delay``: exponential backoff with jitter, never sooner
  than the platform's ``Retry-After``; after ``max_attempts`` claims the post fails with the platform's error;
* :class:`Permanent` (or a validation problem) — failed at once, the platform's message kept for the user;
* :class:`UnknownOutcome` (timeout after sending, unexpected error) — unconfirmed; the sweeper reconciles it
  with ``verify_published`` (by idempotency key): found = published, not there = scheduled again with the same
  key, cannot tell = stays unconfirmed and the user is told. Never re-sent blindly.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import logging
import os
import random
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, col, select

from agent.core import scheduling as sched
from agent.core.models import Metric, PlatformAccount, PostState, UTCDateTime
from agent.core.security import CredentialBox
from agent.core.sql_ratelimit import SqlRateLimiter
from integrations.breaker import CircuitBreaker
from integrations.locks import DutyLock, LocalLock, make_duty_lock
from integrations.publishers.base import (
    CannotVerify,
    Media,
    OutgoingPost,
    Permanent,
    Publisher,
    PublishError,
    PublishResult,
    Retryable,
    UnknownOutcome,
)
from integrations.publishers.outbox import OutboxPublisher
from integrations.publishers.webhook import WebhookPublisher
from integrations.ratelimit import MemoryRateLimiter, RateLimiter, make_rate_limiter

log = logging.getLogger(__name__)
S = PostState
_T = sched._T


@dataclass(frozen=True)
class DispatchPolicy:
    lease_s: float = 120.0  # a claim older than this with no outcome: the worker died -> unconfirmed
    publish_timeout_s: float = 30.0
    backoff_base_s: float = 30.0
    backoff_max_s: float = 3600.0
    batch_size: int = 100  # posts claimed per round trip (measured: 50 → 715/s, 200 → 1,000/s in one process)
    concurrency: int = 20
    sweep_interval_s: float = 30.0
    metrics_retry_s: float = 600.0

    @classmethod
    def from_settings(cls, settings: Any) -> DispatchPolicy:
        return cls(
            lease_s=settings.publish_lease_s,
            publish_timeout_s=settings.publish_timeout_s,
            backoff_base_s=settings.publish_backoff_base_s,
            backoff_max_s=settings.publish_backoff_max_s,
            sweep_interval_s=settings.sweep_interval_s,
        )

    def retry_delay(self, attempt: int, retry_after: float | None, rng: random.Random) -> float:
        """Seconds before the next attempt. With ``Retry-After``: that, plus up to 10 % jitter (never
        sooner). Without: "equal jitter" exponential backoff, in [b/2, b] for b = base * 2^(attempt-1)."""
        if retry_after is not None:
            return float(retry_after + rng.random() * min(5.0, 0.1 * retry_after))
        backoff = min(self.backoff_max_s, self.backoff_base_s * 2 ** max(0, attempt - 1))
        return float(backoff / 2 + rng.random() * backoff / 2)


class PublisherResolver(Protocol):
    def resolve(self, account: PlatformAccount | None) -> Publisher: ...

    async def aclose(self) -> None: ...


# Adapters built on a platform's SDK load when an account of theirs first publishes: importing atproto alone
# takes about a second, which every `studio ask` and every web or Slack turn would otherwise pay.
SDK_ADAPTERS = {
    "mastodon": ("integrations.publishers.mastodon", "MastodonPublisher"),
    "bluesky": ("integrations.publishers.bluesky", "BlueskyPublisher"),
}


def sdk_adapter(platform: str) -> Any:
    """The publisher class of an SDK-backed platform (a registry: ``SDK_ADAPTERS``)."""
    module, name = SDK_ADAPTERS[platform]
    return getattr(importlib.import_module(module), name)


class DefaultPublishers:
    """Account -> publisher: none = the local outbox; ``webhook`` accounts = signed POSTs; ``mastodon`` and
    ``bluesky`` accounts = their APIs. One publisher per
    account per process (HTTP connections are reused)."""

    def __init__(
        self,
        *,
        data_dir: Path,
        box: CredentialBox | None,
        timeout_s: float = 30.0,
        mastodon_max_chars: int = 500,
    ) -> None:

        self.outbox = OutboxPublisher(Path(data_dir) / "outbox")
        self.box = box
        self.timeout_s = timeout_s
        self.mastodon_max_chars = mastodon_max_chars
        self._cache: dict[int, Publisher] = {}

    def resolve(self, account: PlatformAccount | None) -> Publisher:
        if account is None or account.platform == "outbox":
            return self.outbox
        assert account.id is not None
        cached = self._cache.get(account.id)
        if cached is not None:
            return cached
        if self.box is None:
            raise Permanent("No encryption key is configured to read the account's credentials.")
        creds = self.box.decrypt(account.credentials_encrypted)
        if account.platform == "webhook":
            if not account.base_url:
                raise Permanent(f"The webhook account {account.handle} has no URL.")
            publisher: Publisher = WebhookPublisher(
                account.base_url,
                str(creds.get("secret", "")),
                verify_url=creds.get("verify_url"),
                metrics_url=creds.get("metrics_url"),
                timeout_s=self.timeout_s,
            )
        elif account.platform == "mastodon":
            if not account.base_url or not creds.get("access_token"):
                raise Permanent(f"The Mastodon account {account.handle} has no instance URL or token.")
            publisher = sdk_adapter("mastodon")(
                account.base_url,
                str(creds["access_token"]),
                timeout_s=self.timeout_s,
                max_chars=self.mastodon_max_chars,
            )
        elif account.platform == "bluesky":
            if not creds.get("app_password"):
                raise Permanent(f"The Bluesky account {account.handle} has no app password.")
            publisher = sdk_adapter("bluesky")(
                account.handle,
                str(creds["app_password"]),
                service_url=account.base_url or "https://bsky.social",
                timeout_s=self.timeout_s,
            )
        else:
            raise Permanent(
                f"Publishing to {account.platform} is not available yet (use a webhook or the outbox)."
            )
        self._cache[account.id] = publisher
        return publisher

    async def aclose(self) -> None:
        for publisher in self._cache.values():
            await publisher.aclose()
        self._cache.clear()


@dataclass
class Outcome:
    post_id: int
    kind: str  # published | retry | deferred (rate limit; claim not checkable) | failed | unconfirmed | lost
    message: str = ""
    result: PublishResult | None = None
    retry_at: datetime | None = None
    sent_at: datetime | None = None  # when the send began (None: nothing was sent)

    def published_at(self, now: datetime) -> datetime:
        """The platform's own time when it reported one, else when the send began."""
        return (self.result.published_at if self.result else None) or self.sent_at or now


@dataclass
class SweepReport:
    ran: bool = False
    expired: list[int] = field(default_factory=list)
    reconciled: dict[int, str] = field(default_factory=dict)
    dispatched: int = 0
    metrics: int = 0


def default_worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{random.randbytes(3).hex()}"


class Dispatcher:
    def __init__(
        self,
        engine: Engine,
        resolver: PublisherResolver,
        *,
        policy: DispatchPolicy | None = None,
        worker_id: str | None = None,
        lock: DutyLock | None = None,
        clock: Callable[[], datetime] | None = None,
        rng: random.Random | None = None,
        account_limiter: RateLimiter | None = None,
    ) -> None:
        self.engine = engine
        self.resolver = resolver
        self.policy = policy or DispatchPolicy()
        self.worker_id = worker_id or default_worker_id()
        self.lock = lock or LocalLock()
        self.clock = clock or (lambda: datetime.now(UTC))
        self.rng = rng or random.Random()
        self._sem = asyncio.Semaphore(self.policy.concurrency)
        # posts per connected account per hour (the local outbox has no limit)
        self.account_limiter = account_limiter

    # -- publishing --------------------------------------------------------------------------------

    async def dispatch_due(
        self, post_ids: list[int] | None = None, *, limit: int | None = None
    ) -> list[Outcome]:
        """Claim due posts (all of them, or only ``post_ids``), publish them, record the outcomes."""
        now = self.clock()
        rows = await asyncio.to_thread(
            sched.claim_due_rows,
            self.engine,
            worker_id=self.worker_id,
            limit=limit or self.policy.batch_size,
            now=now,
            post_ids=post_ids,
        )
        if not rows:
            return []
        claimed = time.monotonic()
        # a batch larger than the concurrency waits its turn: the claims are renewed while it runs, so no
        # sweeper takes a post this worker is about to send or is sending (issue 14: 50 of 200 sent twice)
        keeper = asyncio.create_task(self._keep_claims([r.id for r in rows]))
        try:
            accounts = await asyncio.to_thread(self._accounts, rows)
            outcomes = await asyncio.gather(
                *(self._publish_one(row, accounts.get(row.account_id), claimed) for row in rows)
            )
            await asyncio.to_thread(self._record, rows, list(outcomes))
        finally:
            keeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await keeper
        return list(outcomes)

    async def _keep_claims(self, ids: list[int]) -> None:
        """Renew the batch's claims every quarter lease until the batch is recorded."""
        while True:
            await asyncio.sleep(self.policy.lease_s / 4)
            try:
                await asyncio.to_thread(
                    sched.renew_claims, self.engine, worker_id=self.worker_id, ids=ids, now=self.clock()
                )
            except (SQLAlchemyError, OSError) as exc:  # the database is away: each post re-checks its claim
                log.warning("Could not renew %d claims: %s", len(ids), exc)

    async def _still_mine(self, row: sched.PostRow, claimed: float) -> Outcome | None:
        """Before a send that waited a while for its turn: the claim, renewed now, or why nothing is sent."""
        if time.monotonic() - claimed < self.policy.lease_s / 4:
            return None  # a fresh claim: no sweeper can have taken it
        try:
            kept = await asyncio.to_thread(
                sched.renew_claims, self.engine, worker_id=self.worker_id, ids=[row.id], now=self.clock()
            )
        except (SQLAlchemyError, OSError) as exc:  # cannot tell: send nothing, the post goes back to wait
            return Outcome(
                row.id,
                "deferred",
                f"its claim could not be renewed ({type(exc).__name__})",
                retry_at=self.clock() + timedelta(seconds=self.policy.backoff_base_s),
            )
        if row.id not in kept:
            return Outcome(row.id, "lost", "the claim expired before the send; nothing was sent")
        return None

    async def _publish_one(
        self, row: sched.PostRow, account: PlatformAccount | None, claimed: float
    ) -> Outcome:
        async with self._sem:
            if (stop := await self._still_mine(row, claimed)) is not None:
                return stop
            if account is not None and self.account_limiter is not None:
                wait = await self.account_limiter.hit(f"account:{account.id}")
                if wait is not None:  # the account's hourly budget is spent: later, without using an attempt
                    return Outcome(
                        row.id,
                        "deferred",
                        f"{account.platform} account {account.handle} is at its limit of "
                        f"{self.account_limiter.limit} posts an hour",
                        retry_at=self.clock() + timedelta(seconds=wait + self.rng.random()),
                    )
            try:
                publisher = self.resolver.resolve(account)
                post = outgoing(row, account)
                problems = publisher.validate(post)
                if problems:
                    raise Permanent("; ".join(problems))
                sent_at = self.clock()
                result = await asyncio.wait_for(
                    publisher.publish(post), timeout=self.policy.publish_timeout_s
                )
            except Retryable as exc:
                return self._retry_or_fail(row, exc, exc.retry_after)
            except Permanent as exc:
                return Outcome(row.id, "failed", str(exc))
            except (UnknownOutcome, TimeoutError) as exc:
                message = str(exc) or "the platform did not answer in time"
                return Outcome(row.id, "unconfirmed", message, sent_at=sent_at)
            except Exception as exc:  # an adapter bug after a possible send: reconcile, never re-send blindly
                log.exception("Publishing post #%s raised unexpectedly", row.id)
                return Outcome(row.id, "unconfirmed", f"{type(exc).__name__}: {exc}", sent_at=self.clock())
        return Outcome(row.id, "published", result=result, sent_at=sent_at)

    def _retry_or_fail(self, row: sched.PostRow, exc: PublishError, retry_after: float | None) -> Outcome:
        if row.attempts >= row.max_attempts:
            return Outcome(row.id, "failed", f"gave up after {row.attempts} attempts: {exc}")
        delay = self.policy.retry_delay(row.attempts, retry_after, self.rng)
        return Outcome(row.id, "retry", str(exc), retry_at=self.clock() + timedelta(seconds=delay))

    def _accounts(self, rows: list[sched.PostRow]) -> dict[int | None, PlatformAccount]:
        ids = {r.account_id for r in rows if r.account_id is not None}
        if not ids:
            return {}

        with Session(self.engine, expire_on_commit=False) as session:
            found = session.exec(select(PlatformAccount).where(col(PlatformAccount.id).in_(ids))).all()
            for acc in found:
                session.expunge(acc)
        return {acc.id: acc for acc in found}

    def _record(self, rows: list[sched.PostRow], outcomes: list[Outcome]) -> None:
        """All outcomes of a batch in one transaction; each write is a compare-and-set on our claim."""
        now = self.clock()
        mine = (_T.c.claimed_by == self.worker_id,)
        with self.engine.begin() as conn:
            batched = self._mark_published_batch(conn, rows, outcomes, now)
            for row, out in zip(rows, outcomes, strict=True):
                if row.id in batched:
                    continue
                if out.kind == "lost":  # another worker holds it now; this one sent nothing
                    log.warning("Post #%s: %s", row.id, out.message)
                    continue
                if out.kind == "published":
                    ok = self._mark_published(conn, row, out, now, f"published by {self.worker_id}")
                else:
                    dst, reason, values = self._settle_claim(row, out, now)
                    ok = sched.move(
                        conn,
                        post_id=row.id,
                        src=S.PUBLISHING,
                        dst=dst,
                        reason=reason,
                        now=now,
                        extra_where=mine,
                        **values,
                    )
                if not ok:
                    log.warning("Post #%s: outcome %s not recorded, the claim was lost", row.id, out.kind)
                    out.kind = "lost"

    @staticmethod
    def _settle_claim(
        row: sched.PostRow, out: Outcome, now: datetime
    ) -> tuple[PostState, str, dict[str, Any]]:
        """Where a claimed post goes for an outcome other than published: its next state, the reason
        recorded with the transition and the columns written with it."""
        release = {"claimed_by": None, "claimed_at": None}
        if out.kind == "deferred":  # the account's rate limit: later, and not an attempt (nothing was sent)
            assert out.retry_at is not None
            reason = f"{out.message}; waits until {out.retry_at:%H:%M:%S} UTC"
            return S.SCHEDULED, reason, {"run_at": out.retry_at, "attempts": _T.c.attempts - 1, **release}
        if out.kind == "retry":
            assert out.retry_at is not None
            wait = (out.retry_at - now).total_seconds()
            reason = f"attempt {row.attempts}/{row.max_attempts} failed ({out.message}); retry in {wait:.1f}s"
            return S.SCHEDULED, reason, {"run_at": out.retry_at, "last_error": out.message, **release}
        if out.kind == "failed":
            return S.FAILED, out.message, {"last_error": out.message}
        # checked on the platform at the next sweep
        unknown = {"last_error": out.message, "sent_at": out.sent_at, "check_at": now, "checks": 0}
        return S.UNCONFIRMED, f"outcome unknown: {out.message}", unknown

    def _mark_published_batch(
        self, conn: Any, rows: list[sched.PostRow], outcomes: list[Outcome], now: datetime
    ) -> set[int]:
        """PostgreSQL: every post of the batch still in publishing -> published in one UPDATE ... FROM
        (VALUES ...) plus one INSERT of their transitions (instead of two statements per post). Posts it
        did not move (a lease that ran out meanwhile) go through :meth:`_mark_published` one by one."""
        done = [(r, o) for r, o in zip(rows, outcomes, strict=True) if o.kind == "published" and o.result]
        if conn.dialect.name != "postgresql" or len(done) < 2:
            return set()
        reason = f"published by {self.worker_id}"
        data = [
            (
                r.id,
                o.result.external_id[:300],
                o.result.url[:1000] if o.result.url else None,
                o.published_at(now),
                o.sent_at or now,
            )
            for r, o in done
            if o.result is not None
        ]
        outcome = sa.values(
            sa.column("pid", sa.Integer),
            sa.column("ext", sa.String),
            sa.column("url", sa.String),
            sa.column("pub", UTCDateTime()),
            sa.column("sent", UTCDateTime()),
            name="outcome",
        ).data(data)
        stmt = (
            sa.update(_T)
            .where(_T.c.id == outcome.c.pid, _T.c.state == S.PUBLISHING.value)
            .values(
                state=S.PUBLISHED.value,
                updated_at=now,
                external_id=outcome.c.ext,
                external_url=outcome.c.url,
                published_at=outcome.c.pub,
                sent_at=outcome.c.sent,
                last_error=None,
                metrics_stage=0,
                metrics_due_at=sched.first_metrics_due(now),
            )
            .returning(_T.c.id)
        )
        moved = {r.id for r in conn.execute(stmt)}
        sched._record(
            conn,
            [
                {
                    "post_id": pid,
                    "from_state": S.PUBLISHING.value,
                    "to_state": S.PUBLISHED.value,
                    "reason": reason,
                    "at": now,
                }
                for pid in sorted(moved)
            ],
        )
        return moved

    @staticmethod
    def _mark_published(conn: Any, row: sched.PostRow, out: Outcome, now: datetime, reason: str) -> bool:
        result = out.result
        assert result is not None
        published_at = out.published_at(now)
        values: dict[str, Any] = {
            "external_id": result.external_id[:300],
            "external_url": result.url[:1000] if result.url else None,
            "published_at": published_at,
            "sent_at": out.sent_at or now,
            "last_error": None,
            "metrics_stage": 0,
            "metrics_due_at": sched.first_metrics_due(published_at),
        }
        # our claim, or — when our lease ran out meanwhile — the unconfirmed state the sweeper put it in
        if sched.move(
            conn, post_id=row.id, src=S.PUBLISHING, dst=S.PUBLISHED, reason=reason, now=now, **values
        ):
            return True
        return sched.move(
            conn,
            post_id=row.id,
            src=S.UNCONFIRMED,
            dst=S.PUBLISHED,
            reason=reason + " (late answer)",
            now=now,
            **values,
        )

    # -- the sweeper ---------------------------------------------------------------------------------

    async def sweep(self) -> SweepReport:
        """Once across all processes at a time (duty lock): expire dead claims, reconcile unconfirmed posts,
        publish anything due that the timers missed, collect metrics."""
        report = SweepReport()
        with self.lock.hold("sweeper", ttl_s=max(60.0, self.policy.sweep_interval_s * 4)) as got:
            if not got:
                return report
            report.ran = True
            report.expired = await asyncio.to_thread(
                sched.expire_claims, self.engine, lease_s=self.policy.lease_s, now=self.clock()
            )
            report.reconciled = await self.reconcile()
            while True:
                batch = await self.dispatch_due()
                report.dispatched += len(batch)
                if len(batch) < self.policy.batch_size:
                    break
        with self.lock.hold("metrics", ttl_s=600.0) as got:
            if got:
                report.metrics = await self.collect_metrics()
        return report

    async def reconcile(self, *, limit: int = 50, per_user: int = 10) -> dict[int, str]:
        """Unconfirmed posts whose check is due, checked on the platform by idempotency key — the longest
        waiting first and at most ``per_user`` of one user's per sweep. One that cannot be checked now is
        checked again later, each time after a longer wait; one whose target offers no way to check leaves the
        sweep for good: the user decides (send it again with the same key, or cancel it)."""
        now = self.clock()
        rows = await asyncio.to_thread(
            sched.unconfirmed_due, self.engine, now=now, limit=limit, per_user=per_user
        )
        accounts = await asyncio.to_thread(self._accounts, rows)
        done: dict[int, str] = {}
        for row in rows:
            account = accounts.get(row.account_id)
            try:
                publisher = self.resolver.resolve(account)
                found = await asyncio.wait_for(
                    publisher.verify_published(outgoing(row, account)), timeout=self.policy.publish_timeout_s
                )
            except (CannotVerify, TimeoutError, PublishError) as exc:
                never = isinstance(exc, CannotVerify) and exc.permanent
                await asyncio.to_thread(self._check_later, row, str(exc) or type(exc).__name__, never=never)
                done[row.id] = "cannot verify" if never else "unknown"
                continue
            done[row.id] = await asyncio.to_thread(self._settle, row, found)
        return done

    def _check_later(self, row: sched.PostRow, problem: str, *, never: bool) -> None:
        check_at: datetime | None = None
        message = (
            f"Cannot confirm whether it was published: {problem} Check the target, then send it again (the "
            "same idempotency key: a receiver that drops repeats shows it once) or cancel it."
        )
        if not never:  # the same backoff as a retried send, counted in checks
            wait = self.policy.retry_delay(row.checks + 1, None, self.rng)
            check_at = self.clock() + timedelta(seconds=wait)
            message = f"Cannot confirm whether it was published yet: {problem} Checking again at {check_at:%H:%M} UTC."
        with self.engine.begin() as conn:
            conn.execute(
                sa.update(_T)
                .where(_T.c.id == row.id, _T.c.state == S.UNCONFIRMED.value)
                .values(last_error=message[:2000], check_at=check_at, checks=_T.c.checks + 1)
            )

    def _settle(self, row: sched.PostRow, found: PublishResult | None) -> str:
        now = self.clock()
        with self.engine.begin() as conn:
            if found is not None:
                ok = self._mark_published_from_unconfirmed(conn, row, found, now)
                return "published" if ok else "lost"
            if row.attempts >= row.max_attempts:
                ok = sched.move(
                    conn,
                    post_id=row.id,
                    src=S.UNCONFIRMED,
                    dst=S.FAILED,
                    now=now,
                    reason=f"not on the platform after {row.attempts} attempts",
                    last_error="not published",
                )
                return "failed" if ok else "lost"
            ok = sched.move(
                conn,
                post_id=row.id,
                src=S.UNCONFIRMED,
                dst=S.SCHEDULED,
                now=now,
                reason="verified: not on the platform; sending again with the same idempotency key",
                run_at=now,
                claimed_by=None,
                claimed_at=None,
                check_at=None,
                checks=0,
            )
            return "rescheduled" if ok else "lost"

    def _mark_published_from_unconfirmed(
        self, conn: Any, row: sched.PostRow, found: PublishResult, now: datetime
    ) -> bool:
        published_at = found.published_at or row.sent_at or now  # the platform's time, else the send's
        return sched.move(
            conn,
            post_id=row.id,
            src=S.UNCONFIRMED,
            dst=S.PUBLISHED,
            now=now,
            reason="reconciled: found on the platform by idempotency key",
            external_id=found.external_id[:300],
            external_url=found.url,
            published_at=published_at,
            last_error=None,
            metrics_stage=0,
            metrics_due_at=sched.first_metrics_due(published_at),
        )

    # -- metrics -------------------------------------------------------------------------------------

    async def collect_metrics(self, *, limit: int = 100) -> int:
        """Posts whose next collection (~1 h, 24 h, 7 days after publishing) is due: one metric row each."""
        now = self.clock()
        rows = await asyncio.to_thread(sched.metrics_due, self.engine, now=now, limit=limit)
        accounts = await asyncio.to_thread(self._accounts, rows)
        stored = 0
        for row in rows:
            account = accounts.get(row.account_id)
            try:
                numbers = await self.resolver.resolve(account).fetch_metrics(row.external_id or "")
            except Retryable as exc:
                log.info("Metrics for post #%s later: %s", row.id, exc)
                await asyncio.to_thread(
                    self._push_metrics, row, now + timedelta(seconds=self.policy.metrics_retry_s)
                )
                continue
            except PublishError as exc:
                log.info("No metrics for post #%s: %s", row.id, exc)
                await asyncio.to_thread(self._push_metrics, row, None)
                continue
            stored += await asyncio.to_thread(self._store_metrics, row, numbers, now)
        return stored

    def _push_metrics(self, row: sched.PostRow, due: datetime | None) -> None:
        with self.engine.begin() as conn:
            conn.execute(sa.update(_T).where(_T.c.id == row.id).values(metrics_due_at=due))

    def _store_metrics(self, row: sched.PostRow, numbers: Any, now: datetime) -> int:
        stage = row.metrics_stage + 1
        assert row.published_at is not None
        with self.engine.begin() as conn:
            moved = conn.execute(
                sa.update(_T)
                .where(_T.c.id == row.id, _T.c.metrics_stage == row.metrics_stage)
                .values(metrics_stage=stage, metrics_due_at=sched.next_metrics_due(row.published_at, stage))
            ).rowcount
            if moved != 1:
                return 0
            conn.execute(
                sa.insert(Metric.__table__),  # type: ignore[attr-defined]
                {
                    "user_id": row.user_id,
                    "post_id": row.id,
                    "platform": row.platform,
                    "external_id": row.external_id,
                    "collected_at": now,
                    "impressions": numbers.impressions,
                    "likes": numbers.likes,
                    "comments": numbers.comments,
                    "shares": numbers.shares,
                    "saves": numbers.saves,
                    "clicks": numbers.clicks,
                    "extra": {**numbers.extra, "stage": stage},
                },
            )
        return 1

    # -- the worker loop -----------------------------------------------------------------------------

    async def run(self, stop: asyncio.Event, *, poll_s: float = 1.0) -> None:
        """Until ``stop``: publish what is due, sleeping until the next due post (at most ``poll_s``, so
        posts scheduled by other processes are seen quickly); sweep every ``sweep_interval_s``."""
        loop = asyncio.get_running_loop()
        next_sweep = 0.0
        while not stop.is_set():
            try:
                if loop.time() >= next_sweep:
                    await self.sweep()
                    next_sweep = loop.time() + self.policy.sweep_interval_s
                batch = await self.dispatch_due()
                if len(batch) >= self.policy.batch_size:
                    continue  # more are due: no sleep
                due = await asyncio.to_thread(sched.next_due_at, self.engine)
            except Exception:
                log.exception("The dispatcher loop failed; retrying in %ss", poll_s)
                due = None
            wait = poll_s if due is None else min(poll_s, max(0.0, (due - self.clock()).total_seconds()))
            if wait > 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=wait)

    async def aclose(self) -> None:
        await self.resolver.aclose()


def dispatcher_for(
    settings: Any,
    engine: Engine,
    box: CredentialBox,
    *,
    worker_id: str | None = None,
    batch_size: int | None = None,
) -> Dispatcher:
    """The dispatcher from settings, the same in the studio process and in ``studio worker``."""

    policy = DispatchPolicy.from_settings(settings)
    if batch_size:
        policy = replace(policy, batch_size=batch_size)
    resolver = DefaultPublishers(
        data_dir=settings.data_dir,
        box=box,
        timeout_s=settings.publish_timeout_s,
        mastodon_max_chars=settings.mastodon_max_chars,
    )
    # One breaker per Redis for the duty lock and the account limit: after a failure neither waits on it.
    # The account limit's fallback (and its only counter without Redis) is PostgreSQL, one budget for every
    # worker and kept across restarts; SQLite runs in one process, so its counter is in the process.
    per_hour, window_s, prefix = settings.publish_account_per_hour, 3600.0, "studio:publish:rl:"
    breaker = CircuitBreaker("Redis", cooldown_s=settings.redis_retry_s)
    shared: RateLimiter = (
        SqlRateLimiter(engine, per_hour, window_s=window_s, prefix=prefix)
        if engine.dialect.name == "postgresql"
        else MemoryRateLimiter(per_hour, window_s=window_s)
    )
    return Dispatcher(
        engine,
        resolver,
        policy=policy,
        worker_id=worker_id or default_worker_id(),
        lock=make_duty_lock(engine, settings.redis_url, timeout_s=settings.redis_timeout_s, breaker=breaker),
        account_limiter=make_rate_limiter(
            per_hour,
            settings.redis_url,
            window_s=window_s,
            prefix=prefix,
            timeout_s=settings.redis_timeout_s,
            fallback=shared,
            breaker=breaker,
        ),
    )


def outgoing(row: sched.PostRow, account: PlatformAccount | None) -> OutgoingPost:
    content = row.content or {}
    return OutgoingPost(
        post_id=row.id,
        user_id=row.user_id,
        idempotency_key=row.idempotency_key,
        platform=row.platform,
        text=str(content.get("text", "")),
        hashtags=tuple(content.get("hashtags") or ()),
        media=tuple(
            Media(path=m["path"], mime=m.get("mime", ""), alt=m.get("alt", ""))
            for m in content.get("media") or ()
        ),
        scheduled_for=row.run_at,
        account_handle=account.handle if account else "",
        thread=tuple(str(p) for p in content.get("thread") or ()),
    )
