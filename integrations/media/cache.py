"""A Redis cache of perception results by content hash (``studio:perception:<sha256>:<key>``).

The client is built on first use. A Redis that is down is logged and treated as a miss, so perception still
works (the database copy in the asset row remains the fallback).
"""

from __future__ import annotations

import json
import logging
import threading
from typing import Any

import redis

log = logging.getLogger(__name__)

PREFIX = "studio:perception"
DEFAULT_TTL_S = 30 * 24 * 3600


class RedisPerceptionCache:
    def __init__(self, url: str, *, ttl_s: int = DEFAULT_TTL_S) -> None:
        self.url = url
        self.ttl_s = ttl_s
        self._client: Any = None
        self._lock = threading.Lock()

    def _redis(self) -> Any:
        with self._lock:
            if self._client is None:
                self._client = redis.Redis.from_url(self.url, socket_timeout=2, socket_connect_timeout=2)
            return self._client

    @staticmethod
    def key(sha256: str, name: str) -> str:
        return f"{PREFIX}:{sha256}:{name}"

    def get(self, sha256: str, name: str) -> dict[str, Any] | None:

        try:
            raw = self._redis().get(self.key(sha256, name))
        except redis.RedisError as exc:
            log.warning("perception cache: Redis unavailable (%s); computing instead", exc)
            return None
        if raw is None:
            return None
        try:
            value = json.loads(raw)
        except ValueError:
            return None
        return value if isinstance(value, dict) else None

    def put(self, sha256: str, name: str, value: dict[str, Any]) -> bool:

        try:
            self._redis().set(self.key(sha256, name), json.dumps(value), ex=self.ttl_s)
        except redis.RedisError as exc:
            log.warning("perception cache: could not store %s in Redis (%s)", name, exc)
            return False
        return True

    def close(self) -> None:
        with self._lock:
            if self._client is not None:
                self._client.close()
                self._client = None
