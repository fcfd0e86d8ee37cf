"""Sliding-window rate limits: in Redis when configured (shared by every process), else in the process.

Used for the Slack bot's per-user limit and the publishers' per-account limit. ``hit(key)`` counts one
request and returns ``None`` when it is allowed, or the seconds until the next one would be. A Redis that
is down stops nothing: the in-process counter takes over (and says so in the log once).
"""

from __future__ import annotations

import logging
import time
import uuid
from collections import OrderedDict, deque
from collections.abc import Callable
from typing import Any, Protocol

import redis.asyncio as aioredis

log = logging.getLogger(__name__)

WINDOW_S = 60.0
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
    """The same sliding window in a Redis sorted set per key (shared by every bot process)."""

    def __init__(self, redis: Any, limit: int, *, window_s: float = WINDOW_S, prefix: str = "studio:rl:"):
        self.limit = limit
        self.window_s = window_s
        self._redis = redis
        self._prefix = prefix
        self._fallback = MemoryRateLimiter(limit, window_s=window_s)
        self._warned = False

    async def hit(self, key: str) -> float | None:
        now = time.time()
        member = f"{now:.6f}:{uuid.uuid4().hex[:8]}"
        try:
            wait = await self._redis.eval(
                _SLIDING_WINDOW, 1, self._prefix + key, now, self.window_s, self.limit, member
            )
        except Exception as exc:  # noqa: BLE001 - Redis down: count in this process rather than stop work
            if not self._warned:
                log.warning("Rate limit %s: Redis failed (%s); counting in this process.", self._prefix, exc)
                self._warned = True
            return self._fallback.hit_now(key)
        return None if wait is None else max(0.0, float(wait))

    async def aclose(self) -> None:
        await self._redis.aclose()


def make_rate_limiter(
    limit: int, redis_url: str | None, *, window_s: float = WINDOW_S, prefix: str = "studio:rl:"
) -> RateLimiter:
    if redis_url:
        return RedisRateLimiter(
            aioredis.from_url(redis_url, socket_timeout=2, socket_connect_timeout=2),
            limit,
            window_s=window_s,
            prefix=prefix,
        )
    return MemoryRateLimiter(limit, window_s=window_s)


def too_many_message(limit: int, wait_s: float) -> str:
    wait = max(1, round(wait_s))
    return (
        f"Slow down a little: you can send the studio {limit} requests a minute. "
        f"Try again in {wait} second{'s' if wait != 1 else ''}."
    )
