"""A circuit breaker for a shared service that may go away or hang (Redis).

After a failure the breaker *opens*: callers skip the service at once, without waiting on it, and use their
fallback. After ``cooldown_s`` exactly one caller gets the probe (*half-open*); the others keep skipping
until the probe reports. A success closes the breaker, a failure opens it for another ``cooldown_s``.
Callers run the probe off their hot path (a background ping), so no request waits on a service that is down.

Thread-safe: the sync duty lock and the async rate limiter may share one breaker per Redis.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

log = logging.getLogger(__name__)

CLOSED, OPEN, HALF_OPEN = "closed", "open", "half-open"


class CircuitBreaker:
    def __init__(
        self, name: str, *, cooldown_s: float = 30.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.name = name
        self.cooldown_s = cooldown_s
        self._clock = clock
        self._state = CLOSED
        self._opened_at = 0.0
        self._guard = threading.Lock()

    @property
    def state(self) -> str:
        return self._state

    @property
    def is_closed(self) -> bool:
        """The service may be used now (no failure since the last success)."""
        return self._state == CLOSED

    def claim_probe(self) -> bool:
        """True for the one caller that should probe the service now: open, and the cooldown is over."""
        with self._guard:
            if self._state == OPEN and self._clock() - self._opened_at >= self.cooldown_s:
                self._state = HALF_OPEN
                return True
            return False

    def success(self) -> None:
        with self._guard:
            if self._state != CLOSED:
                log.info("%s is back; using it again", self.name)
            self._state = CLOSED

    def failure(self, exc: BaseException | None = None) -> None:
        with self._guard:
            if self._state == CLOSED:
                log.warning(
                    "%s failed (%s); skipping it for %gs, then one probe",
                    self.name,
                    exc or "error",
                    self.cooldown_s,
                )
            self._state = OPEN
            self._opened_at = self._clock()
