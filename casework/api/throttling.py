"""API rate limits counted with one Redis ``INCR`` per request instead of a stored history.

DRF's ``SimpleRateThrottle`` keeps each client's request times as a pickled list in the cache:
a ``GET`` and a ``SET`` of up to ``num_requests`` floats on every request (1,200 timestamps,
~10 kB, for a token client at its limit), two round trips to Redis. Profiling the API list
(docs/performance.md) found those round trips among the costs the bare DRF list does not pay.

Here, on Redis, a client's requests are counted in fixed windows of the rate's period: one
pipeline (``SET key 0 NX EX`` and ``INCR``, see ``casework.core.cache.incr_counters``), one round
trip, a constant few bytes. The limits mean the same (N requests per period, per token or per
address, and per scope for the token endpoint); like every fixed window they let a client
that waits for a window's end send up to 2 N across the boundary, which for limits meant to
stop floods and password guessing is the accepted trade (django-ratelimit counts the status
page the same way). ``Retry-After`` tells the seconds to the window's end.

Another cache (the file cache of the zero-set-up default, tests' local memory) keeps DRF's own
sliding-window history. With Redis unreachable a request is let through (as DRF's throttles did
with ``casework.core.cache.ResilientRedisCache``): API clients are authenticated, and an outage of
the counter store must not become an outage of the API.
"""

from __future__ import annotations

import logging
from typing import Any

from rest_framework import throttling

from casework.core.cache import UNAVAILABLE, counter_cache, incr_counters

log = logging.getLogger(__name__)


class CounterThrottle(throttling.SimpleRateThrottle):
    """Fixed-window ``INCR`` counting on Redis, under DRF's own throttles' ``allow_request``
    (so ``ScopedRateThrottle`` first picks the view's scope and rate)."""

    _window_end: float | None = None
    # Set from the rate by DRF's ``__init__`` (absent from its stubs); read only with a rate.
    num_requests: int
    duration: int

    def allow_request(self, request: Any, view: Any) -> bool:
        redis = counter_cache(self.cache)
        if redis is None or self.rate is None:
            return super().allow_request(request, view)
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        self.now = self.timer()
        period = int(self.duration)
        window = int(self.now // period)
        try:
            (count,) = incr_counters(redis, [(f"{self.key}:w{window}", period + 1)])
        except UNAVAILABLE:
            log.warning("API throttle counters unavailable; request not counted")
            return True
        self._window_end = float((window + 1) * period)
        if count > self.num_requests:
            return self.throttle_failure()
        return True

    def wait(self) -> float | None:
        if self._window_end is None:
            return super().wait()
        return max(self._window_end - self.now, 1.0)


class AnonRateThrottle(throttling.AnonRateThrottle, CounterThrottle):
    """Anonymous clients, by address (``anon`` rate)."""


class UserRateThrottle(throttling.UserRateThrottle, CounterThrottle):
    """Token (and session) clients, by user (``user`` rate)."""


class ScopedRateThrottle(throttling.ScopedRateThrottle, CounterThrottle):
    """One view's own budget (``throttle_scope``, e.g. ``auth`` for token requests)."""
