"""A Redis cache that a dead Redis cannot turn into an error page.

The cache holds nothing that is the truth: API throttle counters, status-page rate limits,
the waiting-time estimate. When Redis is down, Django's ``RedisCache`` raises
``redis.ConnectionError`` from every ``get``/``set``, and each throttled API call, each status
lookup became a 500. Here a failed call answers like an empty cache (a miss; a write that
did not stick) and logs once; for a few seconds after a failure Redis is not even asked, so a
Redis that hangs instead of refusing costs one timeout, not one per request.

What degrades: API throttles (DRF keeps its history with ``get``/``set``) are not enforced
while Redis is down, and the waiting-time estimate is computed afresh. What does not: the
atomic counters ``add``/``incr`` still raise, because django-ratelimit counts with them and
the status page decides itself what an unreachable counter means (it fails closed unless
``RATELIMIT_FAIL_OPEN``: an outage must not open the door to guessing case references).
"""

from __future__ import annotations

import logging
import time
from typing import Any

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

log = logging.getLogger(__name__)

UNAVAILABLE = (RedisConnectionError, RedisTimeoutError)
PAUSE_SECONDS = 5.0


class ResilientRedisCache(RedisCache):
    """``RedisCache`` that degrades to a miss when Redis is unreachable (and recovers alone)."""

    def __init__(self, server: str, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._down_until = 0.0

    def _call(self, fallback: Any, method: str, *args: Any, **kwargs: Any) -> Any:
        if time.monotonic() < self._down_until:
            return fallback
        try:
            return getattr(super(), method)(*args, **kwargs)
        except UNAVAILABLE as exc:
            if self._down_until == 0.0 or time.monotonic() >= self._down_until:
                log.warning("cache unavailable (%s); answering as a miss", type(exc).__name__)
            self._down_until = time.monotonic() + PAUSE_SECONDS
            return fallback

    def get(self, key: Any, default: Any = None, version: int | None = None) -> Any:
        return self._call(default, "get", key, default, version)

    def set(
        self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None
    ) -> None:
        return self._call(None, "set", key, value, timeout, version)

    def touch(self, key: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None) -> bool:
        return self._call(False, "touch", key, timeout, version)

    def delete(self, key: Any, version: int | None = None) -> bool:
        return self._call(False, "delete", key, version)

    def get_many(self, keys: Any, version: int | None = None) -> dict:
        return self._call({}, "get_many", keys, version)

    def has_key(self, key: Any, version: int | None = None) -> bool:
        return self._call(False, "has_key", key, version)

    def set_many(
        self, data: dict, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None
    ) -> list:
        return self._call([], "set_many", data, timeout, version)

    def delete_many(self, keys: Any, version: int | None = None) -> None:
        return self._call(None, "delete_many", keys, version)

    def clear(self) -> None:
        return self._call(None, "clear")
