"""Publishing for real: a webhook on a local socket, worker processes on PostgreSQL, SIGKILL, Redis stopping."""

from __future__ import annotations

import asyncio
import json
import os
import random
import signal
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from cryptography.fernet import Fernet

from agent.core import repo
from agent.core import scheduling as sched
from agent.core.db import session_scope
from agent.core.models import PostTransition, ScheduledPost
from agent.core.security import CredentialBox
from agent.services.dispatcher import DefaultPublishers, Dispatcher, DispatchPolicy
from integrations.locks import LocalLock, PgAdvisoryLock, RedisLock
from tests.conftest import REDIS_URL
from tests.integration.sched_support import (
    FakeWebhookReceiver,
    PrivateRedis,
    claimers,
    claims,
    start_worker,
    stop_workers,
    threaded_httpserver,
    wait_for,
    worker_env,
)

pytestmark = pytest.mark.integration
SECRET = "whsec-test-secret"
KEYS = (Fernet.generate_key().decode(), "auth-secret-for-tests")


@pytest.fixture
def receiver() -> Iterator[FakeWebhookReceiver]:
    server = threaded_httpserver()
    yield FakeWebhookReceiver(server, SECRET)
    server.clear()
    server.stop()


@pytest.fixture
def box() -> CredentialBox:
    return CredentialBox([KEYS[0]])


class Clock:
    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now


def webhook_account(engine: Any, user_id: str, box: CredentialBox, receiver: FakeWebhookReceiver) -> int:
    with session_scope(engine) as session:
        return repo.add_platform_account(
            session,
            user_id=user_id,
            platform="webhook",
            handle="zapier",
            credentials={"secret": SECRET, "verify_url": receiver.verify_url},
            box=box,
            base_url=receiver.url,
        ).id


def schedule(
    engine: Any, user_id: str, n: int = 1, account_id: int | None = None, run_at: datetime | None = None
) -> list[int]:
    run_at = run_at or datetime.now(UTC) - timedelta(seconds=1)
    ids = []
    with session_scope(engine) as session:
        for i in range(n):
            draft = repo.create_draft(session, user_id=user_id, platform="x", text=f"Post number {i}")
            ids.append(
                sched.schedule_draft(
                    session, user_id=user_id, draft_id=draft.id, run_at=run_at, account_id=account_id
                ).id
            )
    return ids


def post(engine: Any, post_id: int) -> ScheduledPost:
    with session_scope(engine) as session:
        row = session.get(ScheduledPost, post_id)
        assert row is not None
        session.expunge(row)
        return row


def dispatcher(
    engine: Any, data_dir: Path, box: CredentialBox, clock: Any = None, timeout_s: float = 5.0, **kw: Any
) -> Dispatcher:
    return Dispatcher(
        engine,
        DefaultPublishers(data_dir=data_dir, box=box, timeout_s=timeout_s),
        policy=DispatchPolicy(backoff_base_s=10, lease_s=60, publish_timeout_s=timeout_s + 5, **kw),
        worker_id="test-worker",
        clock=clock,
        rng=random.Random(3),
    )


# -- the webhook publisher against a local server ----------------------------------------------------------


async def test_webhook_posts_signed_json_once(
    engine: Any, user_id: str, box: CredentialBox, receiver: FakeWebhookReceiver, data_dir: Path
) -> None:
    account = webhook_account(engine, user_id, box, receiver)
    [post_id] = schedule(engine, user_id, account_id=account)
    d = dispatcher(engine, data_dir, box)
    [outcome] = await d.dispatch_due()
    await d.aclose()
    assert outcome.kind == "published"
    row = post(engine, post_id)
    assert row.state == "published" and row.external_id == f"hook-{row.idempotency_key[:8]}"
    [payload] = receiver.received[row.idempotency_key]
    assert payload["text"] == "Post number 0" and payload["post_id"] == post_id
    assert receiver.bad_signatures == 0


async def test_platform_500_then_success(
    engine: Any, user_id: str, box: CredentialBox, receiver: FakeWebhookReceiver, data_dir: Path
) -> None:
    receiver.script = [500]
    account = webhook_account(engine, user_id, box, receiver)
    [post_id] = schedule(engine, user_id, account_id=account)
    clock = Clock()
    d = dispatcher(engine, data_dir, box, clock)
    [first] = await d.dispatch_due()
    assert first.kind == "retry" and "500" in first.message
    row = post(engine, post_id)
    assert row.state == "scheduled" and row.run_at > clock.now
    clock.now = row.run_at
    [second] = await d.dispatch_due()
    await d.aclose()
    assert second.kind == "published"
    assert receiver.count() == 1 and post(engine, post_id).attempts == 2


async def test_429_with_retry_after(
    engine: Any, user_id: str, box: CredentialBox, receiver: FakeWebhookReceiver, data_dir: Path
) -> None:
    receiver.script = [(429, {"Retry-After": "42"})]
    account = webhook_account(engine, user_id, box, receiver)
    [post_id] = schedule(engine, user_id, account_id=account)
    clock = Clock()
    d = dispatcher(engine, data_dir, box, clock)
    [_first] = await d.dispatch_due()
    row = post(engine, post_id)
    assert 42 <= (row.run_at - clock.now).total_seconds() <= 47
    clock.now += timedelta(seconds=41)
    assert await d.dispatch_due() == []  # not before Retry-After
    clock.now = row.run_at
    assert [o.kind for o in await d.dispatch_due()] == ["published"]
    await d.aclose()


async def test_4xx_fails_with_the_platform_error(
    engine: Any, user_id: str, box: CredentialBox, receiver: FakeWebhookReceiver, data_dir: Path
) -> None:
    receiver.script = [422]
    account = webhook_account(engine, user_id, box, receiver)
    [post_id] = schedule(engine, user_id, account_id=account)
    d = dispatcher(engine, data_dir, box)
    await d.dispatch_due()
    await d.aclose()
    row = post(engine, post_id)
    assert (
        row.state == "failed"
        and "422" in (row.last_error or "")
        and "platform says no" in (row.last_error or "")
    )


async def test_timeout_after_accept_is_unconfirmed_then_reconciled_without_duplicate(
    engine: Any, user_id: str, box: CredentialBox, receiver: FakeWebhookReceiver, data_dir: Path
) -> None:
    receiver.script = [("sleep", 2.0)]  # the platform keeps the post, the answer comes too late
    account = webhook_account(engine, user_id, box, receiver)
    [post_id] = schedule(engine, user_id, account_id=account)
    d = dispatcher(engine, data_dir, box, timeout_s=0.5)
    [outcome] = await d.dispatch_due()
    assert outcome.kind == "unconfirmed"
    assert post(engine, post_id).state == "unconfirmed"
    report = await d.sweep()
    await d.aclose()
    assert report.reconciled == {post_id: "published"}
    assert post(engine, post_id).state == "published"
    assert receiver.count() == 1


# -- worker processes on PostgreSQL ------------------------------------------------------------------------


def pg_user(engine: Any) -> str:
    with session_scope(engine) as session:
        return repo.create_user(session, email="workers@example.com").id


def count_state(engine: Any, state: str) -> int:
    with engine.connect() as conn:
        return int(
            conn.execute(
                sa.select(sa.func.count()).select_from(ScheduledPost).where(ScheduledPost.state == state)
            ).scalar()
        )


def test_three_worker_processes_publish_each_post_exactly_once(
    pg_engine: Any, pg_url: str, tmp_path: Path
) -> None:
    uid = pg_user(pg_engine)
    ids = schedule(pg_engine, uid, n=1000)
    env = worker_env(tmp_path / "data", pg_url, KEYS)
    procs = [start_worker(env, f"w{i}", tmp_path, batch=20) for i in range(3)]
    try:
        assert wait_for(lambda: count_state(pg_engine, "published") == len(ids), timeout=300)
    finally:
        stop_workers(procs)
    assert claims(pg_engine) == Counter(dict.fromkeys(ids, 1))
    with pg_engine.connect() as conn:
        reasons = conn.execute(
            sa.select(PostTransition.reason).where(PostTransition.to_state == "published")
        ).scalars()
        workers = Counter(r.split(" by ", 1)[1].split()[0] for r in reasons)
    assert sum(workers.values()) == len(ids) and len(workers) == 3  # all three workers took a share
    feed = (tmp_path / "data" / "outbox" / uid / "feed.jsonl").read_text().splitlines()
    keys = [json.loads(line)["id"] for line in feed]
    assert len(keys) == len(set(keys)) == len(ids)
    assert not (tmp_path / "data" / "outbox" / uid / "duplicates.log").exists()
    assert [p.returncode for p in procs] == [0, 0, 0]  # SIGTERM: a clean stop


def test_sigkill_mid_publish_then_restart_loses_and_duplicates_nothing(
    pg_engine: Any, pg_url: str, tmp_path: Path, box: CredentialBox, receiver: FakeWebhookReceiver
) -> None:
    uid = pg_user(pg_engine)
    account = webhook_account(pg_engine, uid, box, receiver)
    receiver.script = [("sleep", 30.0)] * 3  # accepted, the answers hang: the worker is killed meanwhile
    in_flight = schedule(pg_engine, uid, n=3, account_id=account)
    [never_sent] = schedule(pg_engine, uid, n=1, account_id=account)
    assert sched.claim_due(pg_engine, worker_id="died-before-sending", post_ids=[never_sent]) == [never_sent]
    data = tmp_path / "data"
    first = start_worker(worker_env(data, pg_url, KEYS), "doomed", tmp_path)
    try:
        assert wait_for(lambda: receiver.count() == 3, timeout=60)
        assert {post(pg_engine, i).state for i in in_flight} == {"publishing"}
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait()
        killed_at = datetime.now(UTC)
    # a new worker with a short lease finds the dead claims, checks the platform, and finishes the job
    env = worker_env(data, pg_url, KEYS, STUDIO_PUBLISH_LEASE_S="2", STUDIO_PUBLISH_TIMEOUT_S="1")
    second = start_worker(env, "survivor", tmp_path)
    try:
        assert wait_for(lambda: count_state(pg_engine, "published") == 4, timeout=90)
    finally:
        stop_workers([second])
    assert receiver.count() == 4  # the 3 in flight were not re-sent; the unsent one was sent once
    assert all(len(v) == 1 for v in receiver.received.values())
    for post_id in in_flight:
        with session_scope(pg_engine) as session:
            trail = [(t.from_state, t.to_state) for t in sched.history(session, user_id=uid, post_id=post_id)]
        assert ("publishing", "unconfirmed") in trail and trail[-1] == ("unconfirmed", "published")
        reconciled = post(pg_engine, post_id)
        assert reconciled.published_at is not None
        assert reconciled.published_at <= killed_at  # when it was sent, not when it was checked


# -- locks ---------------------------------------------------------------------------------------------


def test_postgres_advisory_lock_is_exclusive(pg_engine: Any) -> None:
    a, b = PgAdvisoryLock(pg_engine), PgAdvisoryLock(pg_engine)
    with a.hold("sweeper", 60) as got_a, b.hold("sweeper", 60) as got_b:
        assert got_a and not got_b
    with b.hold("sweeper", 60) as got_b:
        assert got_b


def test_redis_lock_is_exclusive_and_expires() -> None:
    import redis

    prefix = f"studio-test:{os.getpid()}:"
    a = RedisLock(REDIS_URL, fallback=LocalLock(), prefix=prefix)
    b = RedisLock(REDIS_URL, fallback=LocalLock(), prefix=prefix)
    try:
        with a.hold("sweeper", 60) as got_a, b.hold("sweeper", 60) as got_b:
            assert got_a and not got_b and not a.degraded
        with b.hold("sweeper", 60) as got_b:
            assert got_b
    finally:
        redis.Redis.from_url(REDIS_URL).delete(prefix + "sweeper")
        a.close()
        b.close()


async def test_redis_stopping_mid_run_degrades_and_loses_nothing(
    engine: Any, user_id: str, data_dir: Path, box: CredentialBox, tmp_path: Path
) -> None:
    private = PrivateRedis(tmp_path)
    lock = RedisLock(private.url, fallback=LocalLock())
    d = Dispatcher(
        engine,
        DefaultPublishers(data_dir=data_dir, box=box),
        policy=DispatchPolicy(),
        worker_id="w",
        lock=lock,
    )
    try:
        first = schedule(engine, user_id, n=5)
        report = await d.sweep()
        assert report.ran and report.dispatched == 5 and not lock.degraded
        private.stop()  # Redis goes away in the middle of the run
        second = schedule(engine, user_id, n=5)
        report = await d.sweep()
        assert report.ran and report.dispatched == 5 and lock.degraded
    finally:
        private.stop()
        await d.aclose()
        lock.close()
    assert {post(engine, i).state for i in first + second} == {"published"}
    feed = (data_dir / "outbox" / user_id / "feed.jsonl").read_text().splitlines()
    assert len(feed) == 10


async def test_embedded_timer_publishes_a_post_when_it_is_due(settings: Any, tmp_path: Path) -> None:
    from langgraph.checkpoint.memory import InMemorySaver

    from agent.runtime.studio import Studio

    async with Studio.open(settings, checkpointer=InMemorySaver(), timer=True) as studio:
        engine = studio.services.engine
        with session_scope(engine) as session:
            uid = repo.create_user(session, email="timer@example.com").id
        [post_id] = schedule(engine, uid, run_at=datetime.now(UTC) + timedelta(seconds=1))
        studio.services.timer.notify(post_id, post(engine, post_id).run_at)
        for _ in range(100):
            if post(engine, post_id).state == "published":
                break
            await asyncio.sleep(0.1)
        row = post(engine, post_id)
    assert row.state == "published"
    assert row.published_at is not None and row.published_at >= row.run_at  # never early


def test_a_batch_larger_than_the_concurrency_with_slow_answers_publishes_each_post_once(
    pg_engine: Any, pg_url: str, tmp_path: Path, box: CredentialBox, receiver: FakeWebhookReceiver
) -> None:
    """Issue 14: a worker claimed 200 posts, sent 20 at a time and never renewed its claims; another worker's
    sweeper expired the ones still waiting or in flight, the platform did not have them yet, and 50 went out
    twice. Here one worker claims the due posts 100 at a time and sends 20 at a time, each answered just
    under the timeout (five rounds, ~8.5 s, twice the 4 s lease), while a second worker sweeps every second."""
    uid = pg_user(pg_engine)
    account = webhook_account(pg_engine, uid, box, receiver)
    receiver.script = [("late", 1.7)] * 100  # the platform has each post only when it answers
    env = worker_env(
        tmp_path / "data",
        pg_url,
        KEYS,
        STUDIO_PUBLISH_LEASE_S="4",
        STUDIO_PUBLISH_TIMEOUT_S="2",
        STUDIO_PUBLISH_ACCOUNT_PER_HOUR="1000",
    )
    procs = [
        start_worker(env, "big-batch", tmp_path, batch=100),
        start_worker(env, "sweeper", tmp_path, batch=1),
    ]
    try:
        ids = schedule(
            pg_engine, uid, n=100, account_id=account, run_at=datetime.now(UTC) + timedelta(seconds=8)
        )
        assert wait_for(lambda: count_state(pg_engine, "published") == len(ids), timeout=120)
        time.sleep(3)  # long enough for a late duplicate to arrive
    finally:
        stop_workers(procs)
    by = claimers(pg_engine)
    assert by["big-batch"] >= 50, by  # one worker held a batch far larger than its concurrency
    assert receiver.count() == len(ids)
    assert all(len(copies) == 1 for copies in receiver.received.values())
    assert claims(pg_engine) == Counter(dict.fromkeys(ids, 1))  # no claim expired and was retaken


def test_one_users_unverifiable_posts_do_not_starve_another_users_post(
    pg_engine: Any, pg_url: str, tmp_path: Path, box: CredentialBox, receiver: FakeWebhookReceiver
) -> None:
    """Issue 14: each sweep checked the 50 lowest-id unconfirmed posts, so another user's 50 posts behind a
    webhook with no verify URL kept the owner's verifiable post from being checked at all (0 checks in 45 s).
    Here 60 such posts and one verifiable post of another user, all sent by a worker that died before it
    heard back; a worker sweeping every second."""
    blind_owner = pg_user(pg_engine)
    with session_scope(pg_engine) as session:
        owner = repo.create_user(session, email="owner@example.com").id
        blind = repo.add_platform_account(
            session,
            user_id=blind_owner,
            platform="webhook",
            handle="no-verify",
            credentials={"secret": SECRET},  # no verify_url: delivery cannot be checked
            box=box,
            base_url=receiver.url,
        ).id
    stuck = schedule(pg_engine, blind_owner, n=60, account_id=blind)
    [mine] = schedule(pg_engine, owner, n=1, account_id=webhook_account(pg_engine, owner, box, receiver))
    assert len(sched.claim_due(pg_engine, worker_id="died", post_ids=[*stuck, mine], limit=61)) == 61
    receiver.received[post(pg_engine, mine).idempotency_key] = [{}]  # it arrived; the answer was lost
    env = worker_env(
        tmp_path / "data", pg_url, KEYS, STUDIO_PUBLISH_LEASE_S="2", STUDIO_PUBLISH_TIMEOUT_S="1"
    )
    worker = start_worker(env, "sweeper", tmp_path)
    try:
        assert wait_for(lambda: post(pg_engine, mine).state == "published", timeout=60)
        assert wait_for(lambda: all(post(pg_engine, i).check_at is None for i in stuck), timeout=60)
    finally:
        stop_workers([worker])
    with session_scope(pg_engine) as session:
        trail = sched.history(session, user_id=owner, post_id=mine)
    expired = next(t.at for t in trail if t.to_state == "unconfirmed")
    published = next(t.at for t in trail if t.to_state == "published")
    assert (published - expired).total_seconds() <= 2 * 1.0 + 1.0  # within two sweeps of a second
    assert {post(pg_engine, i).state for i in stuck} == {"unconfirmed"}  # never re-sent blindly
    assert "send it again" in (post(pg_engine, stuck[0]).last_error or "")
    assert receiver.count() == 1  # only what arrived before: nothing was sent again


def test_a_claim_takes_no_more_than_its_limit_on_postgresql(pg_engine: Any) -> None:
    """As `UPDATE … WHERE id IN (SELECT … LIMIT n FOR UPDATE SKIP LOCKED)` PostgreSQL planned a semi-join that
    ran the subquery per row on a fresh table: a claim of 3 took all 30 due posts, so --batch meant nothing
    and the first worker to poll took everything."""
    uid = pg_user(pg_engine)
    ids = schedule(pg_engine, uid, n=30)
    first = sched.claim_due_rows(pg_engine, worker_id="a", limit=3)
    second = sched.claim_due_rows(pg_engine, worker_id="b", limit=3)
    assert len(first) == len(second) == 3 and not {r.id for r in first} & {r.id for r in second}
    assert [r.id for r in first] == ids[:3]  # the earliest due first
