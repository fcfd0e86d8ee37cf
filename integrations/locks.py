"""Locks for duties that must run once at a time across processes (the sweeper, metric collection).

* :class:`RedisLock` — ``SET key token NX PX ttl``, released by compare-and-delete, when ``REDIS_URL`` is set.
  When Redis cannot be reached or does not answer (short timeouts) a circuit breaker opens and the database
  lock takes over, without touching Redis until a background ping finds it back: nothing waits on Redis and
  nothing is lost (the duties are also safe to overlap, every write being a compare-and-set; the lock only
  saves duplicate work).
* :class:`PgAdvisoryLock` — ``pg_try_advisory_lock`` on a connection held for the duty.
* :class:`LocalLock` — in-process (SQLite: one process runs the embedded scheduler).
"""

from __future__ import annotations

import hashlib
import logging
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Protocol

import redis
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from integrations.breaker import CircuitBreaker

log = logging.getLogger(__name__)

REDIS_TIMEOUT_S = 0.5  # connect and read (a hung Redis costs at most this, once per breaker cooldown)

_RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end
"""


class DutyLock(Protocol):
    name: str

    def hold(self, duty: str, ttl_s: float) -> Any:
        """A context manager yielding True when this process got the duty, False when another has it."""


class LocalLock:
    name = "local"

    def __init__(self) -> None:
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    @contextmanager
    def hold(self, duty: str, ttl_s: float) -> Iterator[bool]:
        with self._guard:
            lock = self._locks.setdefault(duty, threading.Lock())
        got = lock.acquire(blocking=False)
        try:
            yield got
        finally:
            if got:
                lock.release()


def advisory_key(duty: str) -> int:
    return int.from_bytes(hashlib.sha256(f"studio:{duty}".encode()).digest()[:8], "big", signed=True)


class PgAdvisoryLock:
    name = "postgres"

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @contextmanager
    def hold(self, duty: str, ttl_s: float) -> Iterator[bool]:
        key = advisory_key(duty)
        with self.engine.connect() as conn:
            got = bool(conn.execute(sa.text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar())
            conn.commit()
            try:
                yield got
            finally:
                if got:
                    conn.execute(sa.text("SELECT pg_advisory_unlock(:k)"), {"k": key})
                    conn.commit()


class RedisLock:
    """Short timeouts and a circuit breaker: after one failure every ``hold`` goes to the fallback at once,
    without touching Redis, until a ping in a background thread (one per ``breaker.cooldown_s``) finds it
    back. ``hold`` runs on the dispatcher's event loop, so it must never wait on a Redis that is away."""

    name = "redis"

    def __init__(
        self,
        url: str,
        *,
        fallback: DutyLock,
        prefix: str = "studio:duty:",
        timeout_s: float = REDIS_TIMEOUT_S,
        breaker: CircuitBreaker | None = None,
    ) -> None:

        self._redis = redis.Redis.from_url(url, socket_connect_timeout=timeout_s, socket_timeout=timeout_s)
        self._errors: tuple[type[Exception], ...] = (redis.RedisError, OSError)
        self.fallback = fallback
        self.prefix = prefix
        self.breaker = breaker or CircuitBreaker("Redis (duty locks)")

    @property
    def degraded(self) -> bool:
        """Redis failed and the fallback lock is in use (until a probe finds it back)."""
        return not self.breaker.is_closed

    @contextmanager
    def hold(self, duty: str, ttl_s: float) -> Iterator[bool]:
        key, token = self.prefix + duty, uuid.uuid4().hex
        got: bool | None = None
        if self.breaker.is_closed:
            try:
                got = bool(self._redis.set(key, token, nx=True, px=max(1, int(ttl_s * 1000))))
            except self._errors as exc:
                log.debug(
                    "Redis failed for the %s lock (%s); using the %s lock", duty, exc, self.fallback.name
                )
                self.breaker.failure(exc)
        elif self.breaker.claim_probe():
            threading.Thread(target=self._ping, name="redis-lock-probe", daemon=True).start()
        if got is None:
            with self.fallback.hold(duty, ttl_s) as fallback_got:
                yield fallback_got
            return
        try:
            yield got
        finally:
            if got:
                try:
                    self._redis.eval(_RELEASE, 1, key, token)
                except self._errors as exc:  # it expires by itself after ttl
                    log.warning("Could not release the %s lock in Redis (%s)", duty, exc)
                    self.breaker.failure(exc)

    def _ping(self) -> None:
        try:
            self._redis.ping()
        except self._errors as exc:
            self.breaker.failure(exc)
        else:
            self.breaker.success()

    def close(self) -> None:
        self._redis.close()


def make_duty_lock(
    engine: Engine,
    redis_url: str | None,
    *,
    timeout_s: float = REDIS_TIMEOUT_S,
    breaker: CircuitBreaker | None = None,
) -> DutyLock:
    db: DutyLock = PgAdvisoryLock(engine) if engine.dialect.name == "postgresql" else LocalLock()
    if not redis_url:
        return db
    return RedisLock(redis_url, fallback=db, timeout_s=timeout_s, breaker=breaker)
