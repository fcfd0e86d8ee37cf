"""The scheduled-post state machine, claims and the dispatcher's outcomes, with a scripted publisher (SQLite)."""

from __future__ import annotations

import asyncio
import random
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from sqlmodel import select

from agent.core import repo
from agent.core import scheduling as sched
from agent.core.db import session_scope
from agent.core.errors import NotFound
from agent.core.models import Metric, PostState, ScheduledPost
from agent.services.dispatcher import Dispatcher, DispatchPolicy
from integrations.publishers.base import (
    CannotVerify,
    OutgoingPost,
    Permanent,
    PostMetrics,
    Publisher,
    PublishResult,
    Retryable,
)
from tests.fakes.publisher import ScriptedPublisher

S = PostState
NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


class Clock:
    def __init__(self, now: datetime = NOW) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kw: float) -> None:
        self.now += timedelta(**kw)


class OneResolver:
    def __init__(self, publisher: Publisher) -> None:
        self.publisher = publisher

    def resolve(self, account: Any) -> Publisher:
        return self.publisher

    async def aclose(self) -> None:
        pass


def make_post(
    engine: Any, user_id: str, run_at: datetime = NOW, max_attempts: int = 5, text: str = "Hi"
) -> int:
    with session_scope(engine) as session:
        draft = repo.create_draft(session, user_id=user_id, platform="x", text=text, hashtags=["tag"])
        post = sched.schedule_draft(
            session, user_id=user_id, draft_id=draft.id, run_at=run_at, max_attempts=max_attempts
        )
        return post.id


def post_of(engine: Any, post_id: int) -> ScheduledPost:
    with session_scope(engine) as session:
        post = session.get(ScheduledPost, post_id)
        assert post is not None
        session.expunge(post)
        return post


def states(engine: Any, post_id: int) -> list[tuple[str | None, str]]:
    with session_scope(engine) as session:
        return [
            (t.from_state, t.to_state)
            for t in sched.history(session, user_id=post_of(engine, post_id).user_id, post_id=post_id)
        ]


def dispatcher(engine: Any, publisher: Publisher, clock: Clock, **policy: Any) -> Dispatcher:
    return Dispatcher(
        engine,
        OneResolver(publisher),
        policy=DispatchPolicy(
            **{"backoff_base_s": 10.0, "lease_s": 60.0, "publish_timeout_s": 5.0, **policy}
        ),
        worker_id="w1",
        clock=clock,
        rng=random.Random(7),
    )


# -- the state machine ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("src", "dst"),
    [
        (S.DRAFT, S.SCHEDULED),  # approval is required first
        (S.DRAFT, S.PUBLISHING),
        (S.APPROVED, S.PUBLISHED),
        (S.PUBLISHED, S.CANCELLED),
        (S.CANCELLED, S.SCHEDULED),
        (S.SCHEDULED, S.PUBLISHED),  # only through a claim
        (S.PUBLISHED, S.SCHEDULED),
    ],
)
def test_illegal_transitions_raise(src: PostState, dst: PostState) -> None:
    with pytest.raises(sched.IllegalTransition):
        sched.check_transition(src, dst)


def test_every_state_is_in_the_machine_and_terminal_states_are_final() -> None:
    assert set(sched.ALLOWED) == {None, *PostState}
    assert sched.ALLOWED[S.PUBLISHED] == frozenset() and sched.ALLOWED[S.CANCELLED] == frozenset()


def test_scheduling_a_draft_records_each_transition_with_reason(engine: Any, user_id: str) -> None:
    post_id = make_post(engine, user_id)
    with session_scope(engine) as session:
        trail = sched.history(session, user_id=user_id, post_id=post_id)
        draft = repo.get_draft(session, user_id=user_id, draft_id=post_of(engine, post_id).draft_id)
    assert [(t.from_state, t.to_state) for t in trail] == [
        (None, "draft"),
        ("draft", "approved"),
        ("approved", "scheduled"),
    ]
    assert all(t.reason and t.at.tzinfo is not None for t in trail)
    assert "2026-06-01 12:00" in trail[-1].reason
    assert draft.status == "scheduled"
    post = post_of(engine, post_id)
    assert post.content == {"text": "Hi", "hashtags": ["tag"], "media": []}


def test_cancel_and_reschedule_and_the_queue(engine: Any, user_id: str) -> None:
    first = make_post(engine, user_id, run_at=NOW + timedelta(hours=2))
    second = make_post(engine, user_id, run_at=NOW + timedelta(hours=1))
    with session_scope(engine) as session:
        assert [p.id for p in sched.list_queue(session, user_id=user_id)] == [second, first]
        sched.reschedule_post(session, user_id=user_id, post_id=first, run_at=NOW + timedelta(minutes=5))
        assert [p.id for p in sched.list_queue(session, user_id=user_id)] == [first, second]
        sched.cancel_post(session, user_id=user_id, post_id=second)
        assert [p.id for p in sched.list_queue(session, user_id=user_id)] == [first]
        with pytest.raises(sched.IllegalTransition):
            sched.cancel_post(session, user_id=user_id, post_id=second)
    assert states(engine, first)[-1] == ("scheduled", "scheduled")


def test_posts_are_user_scoped(engine: Any, user_id: str) -> None:
    post_id = make_post(engine, user_id)
    with session_scope(engine) as session:
        other = repo.create_user(session, email="other@example.com").id
    with session_scope(engine) as session:
        with pytest.raises(NotFound):
            sched.cancel_post(session, user_id=other, post_id=post_id)
        assert sched.list_queue(session, user_id=other) == []
    assert post_of(engine, post_id).state == "scheduled"


def test_a_claim_is_compare_and_set(engine: Any, user_id: str) -> None:
    due = [make_post(engine, user_id) for _ in range(3)]
    later = make_post(engine, user_id, run_at=NOW + timedelta(minutes=1))
    first = sched.claim_due(engine, worker_id="a", now=NOW)
    second = sched.claim_due(engine, worker_id="b", now=NOW)
    assert first == due and second == []
    assert sched.claim_due(engine, worker_id="b", now=NOW + timedelta(minutes=1)) == [later]
    post = post_of(engine, due[0])
    assert (post.state, post.claimed_by, post.attempts) == ("publishing", "a", 1)


def test_a_stale_row_cannot_be_moved_twice(engine: Any, user_id: str) -> None:
    post_id = make_post(engine, user_id)
    with session_scope(engine) as session:
        assert sched.move(session, post_id=post_id, src=S.SCHEDULED, dst=S.CANCELLED, reason="one")
        assert not sched.move(session, post_id=post_id, src=S.SCHEDULED, dst=S.PUBLISHING, reason="two")


# -- the dispatcher ---------------------------------------------------------------------------------


async def test_publishes_a_due_post_once_and_schedules_metrics(engine: Any, user_id: str) -> None:
    clock = Clock()
    publisher = ScriptedPublisher()
    post_id = make_post(engine, user_id)
    d = dispatcher(engine, publisher, clock)
    outcomes = await d.dispatch_due()
    assert [(o.post_id, o.kind) for o in outcomes] == [(post_id, "published")]
    assert await d.dispatch_due() == []
    post = post_of(engine, post_id)
    assert post.state == "published" and post.external_id == f"ext-{post_id}"
    assert post.metrics_due_at == NOW + timedelta(hours=1)
    assert len(publisher.calls) == 1
    assert states(engine, post_id)[-2:] == [("scheduled", "publishing"), ("publishing", "published")]


async def test_a_post_not_yet_due_is_left_alone(engine: Any, user_id: str) -> None:
    post_id = make_post(engine, user_id, run_at=NOW + timedelta(seconds=30))
    d = dispatcher(engine, ScriptedPublisher(), Clock())
    assert await d.dispatch_due() == []
    assert post_of(engine, post_id).state == "scheduled"


async def test_server_error_then_success_backs_off_with_jitter(engine: Any, user_id: str) -> None:
    clock = Clock()
    publisher = ScriptedPublisher([Retryable("500 Internal Server Error"), "ok"])
    post_id = make_post(engine, user_id)
    d = dispatcher(engine, publisher, clock)
    [first] = await d.dispatch_due()
    assert first.kind == "retry"
    post = post_of(engine, post_id)
    delay = (post.run_at - NOW).total_seconds()
    assert post.state == "scheduled" and 5.0 <= delay <= 10.0  # equal jitter in [base/2, base]
    assert "500" in (post.last_error or "")
    assert await d.dispatch_due() == []  # not before the backoff
    clock.advance(seconds=delay)
    [second] = await d.dispatch_due()
    assert second.kind == "published"
    assert post_of(engine, post_id).attempts == 2 and len(publisher.calls) == 2


async def test_retry_after_is_honoured(engine: Any, user_id: str) -> None:
    clock = Clock()
    post_id = make_post(engine, user_id)
    d = dispatcher(engine, ScriptedPublisher([Retryable("429 Too Many Requests", retry_after=120)]), clock)
    await d.dispatch_due()
    delay = (post_of(engine, post_id).run_at - NOW).total_seconds()
    assert 120 <= delay <= 125


def test_backoff_grows_exponentially_and_is_capped() -> None:
    policy = DispatchPolicy(backoff_base_s=10, backoff_max_s=100)
    rng = random.Random(1)
    for attempt in range(1, 9):
        ceiling = min(100, 10 * 2 ** (attempt - 1))
        delays = [policy.retry_delay(attempt, None, rng) for _ in range(20)]
        assert all(ceiling / 2 <= d <= ceiling for d in delays)
        assert len(set(delays)) > 1  # jittered


async def test_attempts_are_capped_then_failed_with_the_platform_error(engine: Any, user_id: str) -> None:
    clock = Clock()
    publisher = ScriptedPublisher([Retryable("503 busy")] * 3)
    post_id = make_post(engine, user_id, max_attempts=3)
    d = dispatcher(engine, publisher, clock)
    kinds = []
    for _ in range(3):
        kinds += [o.kind for o in await d.dispatch_due()]
        clock.advance(hours=1)
    assert kinds == ["retry", "retry", "failed"]
    post = post_of(engine, post_id)
    assert post.state == "failed" and "503 busy" in (post.last_error or "")
    assert len(publisher.calls) == 3


async def test_permanent_error_fails_at_once(engine: Any, user_id: str) -> None:
    post_id = make_post(engine, user_id)
    d = dispatcher(engine, ScriptedPublisher([Permanent("422 text too long")]), Clock())
    [outcome] = await d.dispatch_due()
    assert outcome.kind == "failed"
    assert post_of(engine, post_id).last_error == "422 text too long"


async def test_timeout_after_accept_is_reconciled_without_a_duplicate(engine: Any, user_id: str) -> None:
    clock = Clock()
    publisher = ScriptedPublisher(["accept_then_timeout"])
    post_id = make_post(engine, user_id)
    d = dispatcher(engine, publisher, clock)
    [outcome] = await d.dispatch_due()
    assert outcome.kind == "unconfirmed" and post_of(engine, post_id).state == "unconfirmed"
    report = await d.sweep()
    assert report.reconciled == {post_id: "published"}
    post = post_of(engine, post_id)
    assert post.state == "published" and post.external_id == f"ext-{post_id}"
    assert len(publisher.calls) == 1  # never re-sent


async def test_unconfirmed_and_not_on_the_platform_is_sent_again_with_the_same_key(
    engine: Any, user_id: str
) -> None:
    clock = Clock()
    publisher = ScriptedPublisher()
    post_id = make_post(engine, user_id)
    key = post_of(engine, post_id).idempotency_key
    sched.claim_due(engine, worker_id="dead-worker", now=NOW)  # claimed, then the worker died
    d = dispatcher(engine, publisher, clock)
    assert (await d.sweep()).expired == []  # within the lease: still someone's
    clock.advance(seconds=61)
    report = await d.sweep()
    assert report.expired == [post_id] and report.reconciled == {post_id: "rescheduled"}
    assert post_of(engine, post_id).state == "published"
    assert publisher.calls == [key]
    trail = states(engine, post_id)
    assert ("publishing", "unconfirmed") in trail and ("unconfirmed", "scheduled") in trail


async def test_unverifiable_stays_unconfirmed_and_says_why(engine: Any, user_id: str) -> None:
    publisher = ScriptedPublisher(["accept_then_timeout"])
    publisher.verify_fails = True
    post_id = make_post(engine, user_id)
    d = dispatcher(engine, publisher, Clock())
    await d.dispatch_due()
    assert (await d.sweep()).reconciled == {post_id: "unknown"}
    post = post_of(engine, post_id)
    assert post.state == "unconfirmed" and "Cannot confirm" in (post.last_error or "")
    assert len(publisher.calls) == 1
    with session_scope(engine) as session:  # the user decides: try again (same key) or cancel
        sched.reschedule_post(session, user_id=user_id, post_id=post_id, run_at=NOW)
    assert post_of(engine, post_id).attempts == 0


class KeyedPublisher(ScriptedPublisher):
    """Verification fails for the posts of one user (their target cannot tell) and works for the others'."""

    def __init__(self, unverifiable: set[str]) -> None:
        super().__init__()
        self.unverifiable = unverifiable

    async def verify_published(self, post: OutgoingPost) -> PublishResult | None:
        if post.idempotency_key in self.unverifiable:
            self.verify_calls += 1
            raise CannotVerify("the receiver's verify URL answered 503")
        return await super().verify_published(post)


def unconfirmed_posts(engine: Any, user_id: str, n: int, clock: Clock) -> list[int]:
    """Posts claimed by a worker that then died: unconfirmed once the lease ran out."""
    ids = [make_post(engine, user_id) for _ in range(n)]
    sched.claim_due(engine, worker_id="died", post_ids=ids, now=clock(), limit=n)
    assert set(sched.expire_claims(engine, lease_s=0, now=clock() + timedelta(seconds=1))) >= set(ids)
    return ids


async def test_one_users_unverifiable_posts_do_not_keep_another_users_post_from_being_checked(
    engine: Any, user_id: str
) -> None:
    """Issue 14: each sweep checked the 50 lowest ids, so 50 posts that could not be verified kept every later
    post (here: another user's) from ever being checked."""
    clock = Clock()
    with session_scope(engine) as session:
        other = repo.create_user(session, email="other-user@example.com").id
    stuck = unconfirmed_posts(engine, user_id, 60, clock)
    [mine] = unconfirmed_posts(engine, other, 1, clock)
    publisher = KeyedPublisher({post_of(engine, i).idempotency_key for i in stuck})
    publisher.accepted[post_of(engine, mine).idempotency_key] = PublishResult(external_id="ext-mine")
    d = dispatcher(engine, publisher, clock, sweep_interval_s=30.0)

    clock.advance(seconds=2)
    first = await d.reconcile()

    assert first[mine] == "published"  # in the first sweep, beside at most 10 of the other user's
    assert sum(1 for i in stuck if i in first) == 10
    second = await d.reconcile()  # at the same time: the 10 checked wait their backoff, 10 others come up
    assert not set(second) & set(first) and len(second) == 10
    retried = post_of(engine, stuck[0])
    assert retried.checks == 1 and retried.check_at is not None and retried.check_at > clock()
    assert "Checking again at" in (retried.last_error or "")


async def test_a_post_whose_target_cannot_be_checked_leaves_the_sweep_for_the_user_to_decide(
    engine: Any, user_id: str
) -> None:
    clock = Clock()
    publisher = ScriptedPublisher(["accept_then_timeout"])
    publisher.verify_fails = publisher.verify_never = True
    post_id = make_post(engine, user_id)
    d = dispatcher(engine, publisher, clock)
    await d.dispatch_due()

    assert await d.reconcile() == {post_id: "cannot verify"}
    clock.advance(days=1)
    assert await d.reconcile() == {}  # never checked again on its own
    post = post_of(engine, post_id)
    assert (
        post.state == "unconfirmed" and post.check_at is None and "send it again" in (post.last_error or "")
    )
    assert publisher.verify_calls == 1


async def test_a_reconciled_post_is_published_when_it_was_sent_not_when_it_was_checked(
    engine: Any, user_id: str
) -> None:
    clock = Clock()
    sent_at = clock()
    post_id = make_post(engine, user_id)
    publisher = ScriptedPublisher(["accept_then_timeout"])
    d = dispatcher(engine, publisher, clock)
    await d.dispatch_due()
    clock.advance(minutes=10)

    assert await d.reconcile() == {post_id: "published"}
    post = post_of(engine, post_id)
    assert post.published_at == post.sent_at == sent_at  # not ten minutes later


async def test_a_late_outcome_after_losing_the_claim_is_not_recorded_twice(engine: Any, user_id: str) -> None:
    clock = Clock()
    post_id = make_post(engine, user_id)
    d = dispatcher(engine, ScriptedPublisher(), clock)
    rows = sched.load_rows(engine, sched.claim_due(engine, worker_id="someone-else", now=NOW))
    from agent.services.dispatcher import Outcome

    d._record(rows, [Outcome(post_id, "failed", "boom")])
    assert post_of(engine, post_id).state == "publishing"  # not our claim: untouched


class ExpiringPublisher(ScriptedPublisher):
    """Its first send is slow, and meanwhile another worker's sweeper expires this worker's claims."""

    def __init__(self, engine: Any) -> None:
        super().__init__()
        self.engine = engine

    async def publish(self, post: OutgoingPost) -> PublishResult:
        if not self.calls:
            await asyncio.sleep(0.05)
            sched.expire_claims(self.engine, lease_s=0.0, now=NOW + timedelta(hours=1))
        return await super().publish(post)


async def test_a_post_whose_claim_was_taken_while_it_waited_its_turn_is_not_sent(
    engine: Any, user_id: str
) -> None:
    first, second = make_post(engine, user_id), make_post(engine, user_id)
    publisher = ExpiringPublisher(engine)
    d = dispatcher(engine, publisher, Clock(), concurrency=1, lease_s=0.02, publish_timeout_s=1.0)

    outcomes = {o.post_id: o.kind for o in await d.dispatch_due()}

    assert outcomes == {first: "published", second: "lost"}  # the first was in flight; the second waited
    assert len(publisher.calls) == 1  # the second was never sent: the sweeper reconciles it
    assert post_of(engine, second).state == "unconfirmed"


async def test_claims_are_renewed_while_a_batch_runs_so_a_sweeper_takes_none(
    engine: Any, user_id: str
) -> None:
    """Three posts sent one at a time, 50 ms each, on an 80 ms lease, while a sweeper expires claims older
    than the lease every 10 ms: without renewal the last post would be taken from this worker mid-batch."""
    ids = [make_post(engine, user_id) for _ in range(3)]
    publisher = ScriptedPublisher(delay_s=0.05)
    d = Dispatcher(
        engine,
        OneResolver(publisher),
        policy=DispatchPolicy(concurrency=1, lease_s=0.08, publish_timeout_s=1.0),
        worker_id="w1",
    )
    done = asyncio.Event()
    expired: list[int] = []

    async def other_sweeper() -> None:
        while not done.is_set():
            expired.extend(sched.expire_claims(engine, lease_s=0.08))
            await asyncio.sleep(0.01)

    sweeping = asyncio.create_task(other_sweeper())
    outcomes = await d.dispatch_due()
    done.set()
    await sweeping

    assert [o.kind for o in outcomes] == ["published"] * 3 and expired == []
    assert len(publisher.calls) == 3 and {post_of(engine, i).state for i in ids} == {"published"}


async def test_metrics_are_collected_at_1h_24h_and_7d(engine: Any, user_id: str) -> None:
    clock = Clock()
    publisher = ScriptedPublisher()
    post_id = make_post(engine, user_id)
    publisher.metrics[f"ext-{post_id}"] = PostMetrics(likes=3, impressions=40)
    d = dispatcher(engine, publisher, clock)
    await d.dispatch_due()
    assert await d.collect_metrics() == 0
    for hours in (1, 24, 24 * 7):
        clock.now = NOW + timedelta(hours=hours)
        assert await d.collect_metrics() == 1
        assert await d.collect_metrics() == 0
    clock.advance(days=30)
    assert await d.collect_metrics() == 0
    with session_scope(engine) as session:
        rows = session.exec(select(Metric).where(Metric.post_id == post_id)).all()
    assert [(m.likes, m.impressions, m.extra["stage"]) for m in rows] == [(3, 40, 1), (3, 40, 2), (3, 40, 3)]
    assert post_of(engine, post_id).metrics_due_at is None


async def test_the_sweeper_runs_once_at_a_time(engine: Any, user_id: str) -> None:
    d = dispatcher(engine, ScriptedPublisher(), Clock())
    with d.lock.hold("sweeper", 60) as got:
        assert got
        assert (await d.sweep()).ran is False
    assert (await d.sweep()).ran is True


def test_next_free_slot_skips_taken_slots(engine: Any, user_id: str) -> None:
    after = datetime(2026, 6, 1, 6, 0, tzinfo=UTC)  # 08:00 in Berlin (CEST)
    with session_scope(engine) as session:
        first = sched.next_free_slot(
            session, user_id=user_id, platform="x", account_id=None, tz="Europe/Berlin", after=after
        )
    assert first.local.strftime("%H:%M") == "09:00" and first.at == datetime(2026, 6, 1, 7, 0, tzinfo=UTC)
    make_post(engine, user_id, run_at=first.at)
    with session_scope(engine) as session:
        second = sched.next_free_slot(
            session, user_id=user_id, platform="x", account_id=None, tz="Europe/Berlin", after=after
        )
        other_platform = sched.next_free_slot(
            session, user_id=user_id, platform="linkedin", account_id=None, tz="Europe/Berlin", after=after
        )
    assert second.local.strftime("%H:%M") == "12:30"
    assert other_platform.at == first.at


def test_claim_index_exists(engine: Any) -> None:
    names = {i["name"] for i in sa.inspect(engine).get_indexes("scheduled_post")}
    assert "ix_scheduled_post_due" in names
