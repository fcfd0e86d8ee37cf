"""Sliding-window rate limits: in Redis when configured (shared by every process), else in the process.

Used for the Slack bot's per-user limit and the publishers' per-account limit. ``hit(key)`` counts one
request and returns ``None`` when it is allowed, or the seconds until the next one would be. A Redis that
is down or hung stops nothing and slows nothing: short timeouts, then a circuit breaker sends hits to the
fallback (the in-process counter, or one the caller passes) without waiting on Redis until it is back.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections import OrderedDict, deque
from collections.abc import Callable
from typing import Any, Protocol

import redis.asyncio as aioredis

from integrations.breaker import CircuitBreaker

log = logging.getLogger(__name__)

WINDOW_S = 60.0
REDIS_TIMEOUT_S = 0.5  # connect and read: Redis answers in well under a millisecond when it is well
MAX_TRACKED_KEYS = 50_000


class RateLimiter(Protocol):
    limit: int

    async def hit(self, key: str) -> float | None: ...


class MemoryRateLimiter:
    """A sliding window per key, kept for at most ``MAX_TRACKED_KEYS`` keys (least recently used dropped)."""

    def __init__(
        self, limit: int, *, window_s: float = WINDOW_S, clock: Callable[[], float] = time.monotonic
    ):
        self.limit = limit
        self.window_s = window_s
        self._clock = clock
        self._hits: OrderedDict[str, deque[float]] = OrderedDict()

    async def hit(self, key: str) -> float | None:
        return self.hit_now(key)

    def hit_now(self, key: str) -> float | None:
        now = self._clock()
        hits = self._hits.pop(key, None) or deque()
        while hits and hits[0] <= now - self.window_s:
            hits.popleft()
        self._hits[key] = hits
        while len(self._hits) > MAX_TRACKED_KEYS:
            self._hits.popitem(last=False)
        if len(hits) >= self.limit:
            return max(0.0, hits[0] + self.window_s - now)
        hits.append(now)
        return None


# one atomic step: drop hits older than the window, refuse when full (seconds to wait), else record this hit
_SLIDING_WINDOW = """
local key, now, window, limit = KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', key, 0, now - window)
if redis.call('ZCARD', key) >= limit then
  local first = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
  return tostring(tonumber(first[2]) + window - now)
end
redis.call('ZADD', key, now, ARGV[4])
redis.call('EXPIRE', key, math.ceil(window) + 1)
return false
"""


class RedisRateLimiter:
    """The same sliding window in a Redis sorted set per key (shared by every process).

    Redis failures cost (almost) nothing: calls have short timeouts, and after one failure the circuit
    breaker sends every hit to ``fallback`` at once, without waiting on Redis, until a background ping
    (one per ``breaker.cooldown_s``) finds it back. The fallback is an in-process window unless one shared
    by every process is given (the publishers' per-account limit: PostgreSQL, ``agent.core.sql_ratelimit``).
    """

    def __init__(
        self,
        redis: Any,
        limit: int,
        *,
        window_s: float = WINDOW_S,
        prefix: str = "studio:rl:",
        fallback: RateLimiter | None = None,
        breaker: CircuitBreaker | None = None,
    ):
        self.limit = limit
        self.window_s = window_s
        self._redis = redis
        self._prefix = prefix
        self.fallback: RateLimiter = fallback or MemoryRateLimiter(limit, window_s=window_s)
        self.breaker = breaker or CircuitBreaker(f"Redis (rate limit {prefix})")
        self._probe: asyncio.Task[None] | None = None

    async def hit(self, key: str) -> float | None:
        if not self.breaker.is_closed:
            if self.breaker.claim_probe():  # in the background: this hit does not wait on it
                self._probe = asyncio.create_task(self._ping())
            return await self.fallback.hit(key)
        now = time.time()
        member = f"{now:.6f}:{uuid.uuid4().hex[:8]}"
        try:
            wait = await self._redis.eval(
                _SLIDING_WINDOW, 1, self._prefix + key, now, self.window_s, self.limit, member
            )
        except Exception as exc:  # noqa: BLE001 - Redis down or hung: the fallback counts, nothing stops
            self.breaker.failure(exc)
            return await self.fallback.hit(key)
        self.breaker.success()
        return None if wait is None else max(0.0, float(wait))

    async def _ping(self) -> None:
        try:
            await self._redis.ping()
        except Exception as exc:  # noqa: BLE001 - still away: open for another cooldown
            self.breaker.failure(exc)
        else:
            self.breaker.success()

    async def aclose(self) -> None:
        if self._probe is not None and not self._probe.done():
            self._probe.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._probe
        await self._redis.aclose()


def make_rate_limiter(
    limit: int,
    redis_url: str | None,
    *,
    window_s: float = WINDOW_S,
    prefix: str = "studio:rl:",
    timeout_s: float = REDIS_TIMEOUT_S,
    fallback: RateLimiter | None = None,
    breaker: CircuitBreaker | None = None,
) -> RateLimiter:
    """Redis when configured (``fallback`` while it is down), else ``fallback``, else in the process."""
    if redis_url:
        return RedisRateLimiter(
            aioredis.from_url(redis_url, socket_timeout=timeout_s, socket_connect_timeout=timeout_s),
            limit,
            window_s=window_s,
            prefix=prefix,
            fallback=fallback,
            breaker=breaker,
        )
    return fallback or MemoryRateLimiter(limit, window_s=window_s)


def too_many_message(limit: int, wait_s: float) -> str:
    wait = max(1, round(wait_s))
    return (
        f"Slow down a little: you can send the studio {limit} requests a minute. "
        f"Try again in {wait} second{'s' if wait != 1 else ''}."
    )
