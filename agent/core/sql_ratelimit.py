"""A sliding-window rate limit kept in the database: one budget for every process, kept across restarts.

The publishers' per-account limit (``Settings.publish_account_per_hour``) uses it when Redis is not
configured or is down (``integrations.ratelimit.RedisRateLimiter`` falls back to it). Same semantics as the
Redis window: ``hit(key)`` records one allowed request and returns ``None``, or refuses with the seconds
until the oldest hit in the window leaves it.

Design: a row per allowed hit (``rate_limit_hit``: key, time). One hit is one short transaction:

1. PostgreSQL: ``pg_advisory_xact_lock`` on the key, so concurrent workers count one at a time per key
   (other keys do not wait); SQLite: one process, a lock in the process does the same;
2. delete the key's hits older than the window (so a key keeps at most ``limit`` rows);
3. count the rest; at the limit: refuse (nothing written), else insert this hit.

In one process the hits on one key that arrive while its transaction runs go together in the next one
(``hit_now(key, n)``: the first ``limit - count`` are allowed), so a burst of posts for one account costs a
few transactions and holds one database connection, not one each. If the database itself fails, the hit is counted in the process (and
logged): the dispatcher cannot record outcomes then either, and a limiter must never fail a send.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from agent.core.models import RateLimitHit
from integrations.locks import advisory_key
from integrations.ratelimit import MemoryRateLimiter

log = logging.getLogger(__name__)

_T = RateLimitHit.__table__  # type: ignore[attr-defined]


def _utcnow() -> datetime:
    return datetime.now(UTC)


class SqlRateLimiter:
    def __init__(
        self,
        engine: Engine,
        limit: int,
        *,
        window_s: float,
        prefix: str = "studio:rl:",
        clock: Callable[[], datetime] = _utcnow,
    ) -> None:
        self.engine = engine
        self.limit = limit
        self.window_s = window_s
        self.prefix = prefix
        self._clock = clock
        self._fallback = MemoryRateLimiter(limit, window_s=window_s)
        self._local = threading.Lock()  # SQLite: one writer; in-process hits count one at a time
        self._pending: dict[str, list[asyncio.Future[float | None]]] = {}
        self._flushing: dict[str, asyncio.Task[None]] = {}
        self._warned = False

    async def hit(self, key: str) -> float | None:
        """Hits on one key that arrive while its transaction runs wait and go together in the next one (a
        batch of posts for one account costs a few transactions, not one each)."""
        waiter: asyncio.Future[float | None] = asyncio.get_running_loop().create_future()
        self._pending.setdefault(key, []).append(waiter)
        if key not in self._flushing:
            self._flushing[key] = asyncio.create_task(self._flush(key))
        return await waiter

    async def _flush(self, key: str) -> None:
        queue: list[asyncio.Future[float | None]] = []
        try:
            while queue := self._pending.pop(key, []):
                for waiter, wait in zip(queue, await self._hits(key, len(queue)), strict=True):
                    if not waiter.done():
                        waiter.set_result(wait)
        finally:
            del self._flushing[key]
            for waiter in queue + self._pending.pop(key, []):  # only when cancelled (shutdown)
                waiter.cancel()

    async def _hits(self, key: str, n: int) -> list[float | None]:
        try:
            return await asyncio.to_thread(self.hit_now, key, n)
        except (SQLAlchemyError, OSError) as exc:
            if not self._warned:
                log.warning("Rate limit %s: the database failed (%s); counting in this process.", key, exc)
                self._warned = True
            return [self._fallback.hit_now(key) for _ in range(n)]

    def hit_now(self, key: str, n: int = 1) -> list[float | None]:
        """``n`` hits on ``key`` in one transaction, synchronously: for each, None (allowed, recorded) or the
        seconds to wait; the allowed come first. Raises on a database error."""
        full = (self.prefix + key)[:200]
        window = timedelta(seconds=self.window_s)
        if self.engine.dialect.name == "postgresql":
            return self._hit(full, window, n, advisory=True)
        with self._local:
            return self._hit(full, window, n, advisory=False)

    def _hit(self, key: str, window: timedelta, n: int, *, advisory: bool) -> list[float | None]:
        with self.engine.begin() as conn:
            if advisory:
                conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": advisory_key(f"rl:{key}")})
            now = self._clock()  # after the lock: hits on one key are recorded in time order
            conn.execute(sa.delete(_T).where(_T.c.key == key, _T.c.at <= now - window))
            count, first = conn.execute(
                sa.select(sa.func.count(), sa.func.min(_T.c.at)).where(_T.c.key == key)
            ).one()
            allowed = max(0, min(n, self.limit - count))
            if allowed:
                conn.execute(sa.insert(_T), [{"key": key, "at": now}] * allowed)
        oldest = first if first is not None else now
        wait = max(0.0, (oldest + window - now).total_seconds())
        return [None] * allowed + [wait] * (n - allowed)

    def used(self, key: str) -> int:
        """Hits on ``key`` within the window now (for tests and the operator)."""
        full = (self.prefix + key)[:200]
        cutoff = self._clock() - timedelta(seconds=self.window_s)
        with self.engine.connect() as conn:
            return int(
                conn.execute(
                    sa.select(sa.func.count()).where(_T.c.key == full, _T.c.at > cutoff)
                ).scalar_one()
            )
