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

from django.core.cache import DEFAULT_CACHE_ALIAS, caches
from django.core.cache import cache as default_cache
from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

log = logging.getLogger(__name__)

UNAVAILABLE = (RedisConnectionError, RedisTimeoutError)
PAUSE_SECONDS = 5.0


class ReusedClientRedisCacheClient(RedisCacheClient):
    """Django's Redis client holder, reusing one ``redis.Redis`` per connection pool.

    Django builds a new ``redis.Redis`` on every cache call, and its constructor copies some
    170 response callbacks each time: 78 µs, paid twice on every status lookup. A
    ``redis.Redis`` is safe to share between threads (its pool hands out the connections), and
    the pool itself notices a fork.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, Any] = {}

    def get_client(self, key: Any = None, *, write: bool = False) -> Any:
        # Django's own pool choice; private, so absent from django-stubs.
        index = self._get_connection_pool_index(write)  # type: ignore[attr-defined]
        client = self._clients.get(index)
        if client is None:
            client = self._clients[index] = super().get_client(key, write=write)
        return client


class ResilientRedisCache(RedisCache):
    """``RedisCache`` that degrades to a miss when Redis is unreachable (and recovers alone)."""

    def __init__(self, server: str, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class = ReusedClientRedisCacheClient
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


def counter_cache(cache: Any) -> RedisCache | None:
    """The ``RedisCache`` behind ``cache`` (a ``caches[...]`` entry or the ``cache`` proxy), or
    None for any other backend, whose counters go through its own ``add``/``incr``."""
    if cache is default_cache:  # a proxy to caches["default"]
        cache = caches[DEFAULT_CACHE_ALIAS]
    return cache if isinstance(cache, RedisCache) else None


def incr_counters(cache: RedisCache, counters: list[tuple[str, int]]) -> list[int]:
    """Add one to each counter, creating it at zero with its timeout (seconds) when missing,
    in one round trip to Redis; returns the new counts, in order.

    The same two steps django-ratelimit takes per counter (``add`` then ``incr``, where
    Django's ``incr`` asks ``EXISTS`` first: three round trips a counter) as ``SET … NX EX``
    and ``INCR`` in one pipeline, on the keys Django's own ``get``/``incr`` read (integers are
    stored unpickled), so both ways of counting see the same numbers.

    An unreachable Redis raises (``UNAVAILABLE``): the caller owns what that means (the status
    page counts in the process, the API lets the request through). A ``ResilientRedisCache``
    that has just seen Redis fail is not asked again for ``PAUSE_SECONDS``, so a Redis that
    hangs costs one timeout, not one per request.
    """
    down_until = getattr(cache, "_down_until", None)
    if down_until is not None and time.monotonic() < down_until:
        raise RedisConnectionError("Redis recently unreachable; not asked again yet")
    keys = [cache.make_and_validate_key(key) for key, _timeout in counters]
    # Django's client holder (private, so absent from django-stubs): its pool, its client.
    # tests/test_private_apis.py fails, naming Django's version, if it changes.
    client = cache._cache.get_client(keys[0] if keys else None, write=True)  # type: ignore[attr-defined]
    pipe = client.pipeline(transaction=False)
    for key, (_name, timeout) in zip(keys, counters, strict=True):
        pipe.set(key, 0, ex=max(int(timeout), 1), nx=True)
        pipe.incr(key)
    try:
        replies = pipe.execute()
    except UNAVAILABLE:
        if down_until is not None:
            if down_until == 0.0 or time.monotonic() >= down_until:
                log.warning("cache unavailable; counters not counted in Redis")
            cache._down_until = time.monotonic() + PAUSE_SECONDS  # type: ignore[attr-defined]
        raise
    return [int(count) for count in replies[1::2]]


# DECR only a counter that exists: a window that has ended (its key expired) is not written
# again, so no counter without a timeout is ever created.
_DECR_EXISTING = "if redis.call('EXISTS', KEYS[1]) == 1 then return redis.call('DECR', KEYS[1]) end"


def decr_counter(cache: RedisCache, key: str) -> None:
    """Take one from the counter ``key`` if it still exists, in one round trip to Redis.

    Django's ``decr`` asks ``EXISTS`` and then ``DECRBY``: two round trips, on the status
    page's path for every applicant who finds their case from a new device. The script does
    both in Redis. Unreachable Redis raises (``UNAVAILABLE``), as ``incr_counters`` does.
    """
    down_until = getattr(cache, "_down_until", None)
    if down_until is not None and time.monotonic() < down_until:
        raise RedisConnectionError("Redis recently unreachable; not asked again yet")
    full = cache.make_and_validate_key(key)
    client = cache._cache.get_client(full, write=True)  # type: ignore[attr-defined]
    client.eval(_DECR_EXISTING, 1, full)
