"""The Redis circuit breaker (issue 14, items 3 and 4): after a failure Redis is skipped without waiting on it,
one probe per cooldown decides when it is back; the database rate limit shares one budget and survives
restarts. No timing assertions: the clocks are fakes, and "without waiting" means "Redis not called"."""

from __future__ import annotations

import asyncio
import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import redis

from agent.core.sql_ratelimit import SqlRateLimiter
from integrations.breaker import CLOSED, HALF_OPEN, OPEN, CircuitBreaker
from integrations.locks import LocalLock, RedisLock
from integrations.ratelimit import MemoryRateLimiter, RedisRateLimiter


class FakeClock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


def test_breaker_opens_on_failure_and_skips_until_the_cooldown() -> None:
    clock = FakeClock()
    breaker = CircuitBreaker("redis", cooldown_s=30, clock=clock)
    assert breaker.state == CLOSED and breaker.is_closed
    assert not breaker.claim_probe()  # nothing to probe while closed
    breaker.failure(ConnectionError("refused"))
    assert breaker.state == OPEN and not breaker.is_closed
    clock.t += 29.9
    assert not breaker.claim_probe()
    clock.t += 0.2
    assert breaker.claim_probe()  # exactly one caller probes...
    assert breaker.state == HALF_OPEN
    assert not breaker.claim_probe()  # ...the others keep skipping while it runs
    breaker.success()
    assert breaker.state == CLOSED


def test_a_failed_probe_opens_the_breaker_for_another_cooldown() -> None:
    clock = FakeClock()
    breaker = CircuitBreaker("redis", cooldown_s=30, clock=clock)
    breaker.failure()
    clock.t += 31
    assert breaker.claim_probe()
    breaker.failure(TimeoutError("no answer"))
    assert breaker.state == OPEN
    clock.t += 29
    assert not breaker.claim_probe()
    clock.t += 2
    assert breaker.claim_probe()


class FakeAsyncRedis:
    """eval/ping that fail (or hang) on demand and count their calls."""

    def __init__(self) -> None:
        self.down = True
        self.hang = False
        self.evals = 0
        self.pings = 0

    async def eval(self, *args: Any) -> Any:
        self.evals += 1
        if self.hang:
            await asyncio.Event().wait()  # a Redis that accepts and never answers
        if self.down:
            raise redis.ConnectionError("Connection refused")
        return None

    async def ping(self) -> bool:
        self.pings += 1
        if self.down:
            raise redis.TimeoutError("Timeout reading")
        return True

    async def aclose(self) -> None:
        pass


async def test_limiter_skips_redis_while_open_and_a_background_probe_closes_it() -> None:
    clock = FakeClock()
    breaker = CircuitBreaker("redis", cooldown_s=30, clock=clock)
    fake = FakeAsyncRedis()
    fallback = MemoryRateLimiter(2, window_s=3600)
    limiter = RedisRateLimiter(fake, 2, window_s=3600, fallback=fallback, breaker=breaker)

    assert await limiter.hit("account:1") is None  # Redis refused: the fallback counted it
    assert fake.evals == 1 and breaker.state == OPEN
    fake.hang = True  # were Redis called now, this hit would never return
    assert await limiter.hit("account:1") is None
    assert (await limiter.hit("account:1") or 0) > 0  # the fallback's budget of 2 is spent
    assert fake.evals == 1  # skipped, not waited on

    clock.t += 31  # the cooldown is over: the next hit starts one probe and does not wait for it
    fake.down = fake.hang = False
    assert (await limiter.hit("account:1") or 0) > 0  # still the fallback for this hit
    assert limiter._probe is not None
    await limiter._probe
    assert fake.pings == 1 and breaker.state == CLOSED
    assert await limiter.hit("account:2") is None
    assert fake.evals == 2  # Redis again
    await limiter.aclose()


async def test_a_hung_redis_costs_one_timeout_then_nothing() -> None:
    breaker = CircuitBreaker("redis", cooldown_s=30, clock=FakeClock())

    class TimesOut(FakeAsyncRedis):
        async def eval(self, *args: Any) -> Any:
            self.evals += 1
            raise redis.TimeoutError("Timeout reading from 127.0.0.1")  # what the short socket timeout gives

    slow = TimesOut()
    limiter = RedisRateLimiter(slow, 5, window_s=3600, breaker=breaker)
    results = [await limiter.hit("k") for _ in range(5)]
    assert results == [None] * 5 and slow.evals == 1 and breaker.state == OPEN
    assert (await limiter.hit("k") or 0) > 0  # the in-process fallback still limits


def test_redis_lock_uses_the_fallback_without_touching_redis_while_open() -> None:
    clock = FakeClock()
    breaker = CircuitBreaker("redis", cooldown_s=30, clock=clock)
    lock = RedisLock("redis://127.0.0.1:1/0", fallback=LocalLock(), breaker=breaker, timeout_s=0.25)
    with lock.hold("sweeper", 60) as got:  # connection refused: the local lock
        assert got and lock.degraded

    calls: list[str] = []

    class Recorder:
        def set(self, *a: Any, **kw: Any) -> bool:
            calls.append("set")
            return True

        def eval(self, *a: Any) -> int:
            calls.append("eval")
            return 1

        def ping(self) -> bool:
            calls.append("ping")
            return True

        def close(self) -> None:
            pass

    lock._redis = Recorder()  # type: ignore[assignment]
    with lock.hold("sweeper", 60) as got:
        assert got
    assert calls == []  # open: Redis is not asked at all

    clock.t += 31
    with lock.hold("sweeper", 60) as got:  # the probe runs in a thread; this hold uses the fallback
        assert got
    for thread in threading.enumerate():
        if thread.name == "redis-lock-probe":
            thread.join(timeout=10)
    assert calls == ["ping"] and not lock.degraded
    with lock.hold("sweeper", 60) as got:
        assert got
    assert calls == ["ping", "set", "eval"]


# -- the database window ------------------------------------------------------------------------------------


class DateClock:
    def __init__(self) -> None:
        self.now = datetime(2026, 12, 8, 10, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def sql_engine(engine: Any) -> Any:
    return engine  # SQLite, migrated to head (tests/conftest.py)


async def test_sql_limiter_is_one_budget_for_every_process_and_survives_a_restart(sql_engine: Any) -> None:
    clock = DateClock()
    a = SqlRateLimiter(sql_engine, 3, window_s=3600, prefix="t:", clock=clock)
    b = SqlRateLimiter(sql_engine, 3, window_s=3600, prefix="t:", clock=clock)  # another worker
    assert await a.hit("account:1") is None
    clock.now += timedelta(minutes=10)
    assert await b.hit("account:1") is None
    assert await a.hit("account:1") is None
    wait = await b.hit("account:1")
    assert wait == pytest.approx(3000)  # the oldest hit (10 minutes before) leaves the window in 50 minutes
    assert await a.hit("account:2") is None  # per key
    restarted = SqlRateLimiter(sql_engine, 3, window_s=3600, prefix="t:", clock=clock)
    assert (await restarted.hit("account:1") or 0) > 0
    assert restarted.used("account:1") == 3
    clock.now += timedelta(minutes=51)  # the first hit has left the window
    assert await restarted.hit("account:1") is None
    assert (await a.hit("account:1") or 0) > 0
    assert a.used("account:1") == 3


async def test_sql_limiter_counts_concurrent_hits_exactly(sql_engine: Any) -> None:
    limiters = [SqlRateLimiter(sql_engine, 7, window_s=3600, prefix="c:") for _ in range(3)]
    results = await asyncio.gather(*(limiters[i % 3].hit("account:9") for i in range(20)))
    assert sum(r is None for r in results) == 7


def test_sql_limiter_takes_a_burst_in_one_transaction(sql_engine: Any) -> None:
    clock = DateClock()
    limiter = SqlRateLimiter(sql_engine, 3, window_s=3600, prefix="b:", clock=clock)
    assert limiter.hit_now("account:1", 2) == [None, None]
    clock.now += timedelta(minutes=5)
    assert limiter.hit_now("account:1", 3) == [None, pytest.approx(3300), pytest.approx(3300)]
    assert limiter.used("account:1") == 3
