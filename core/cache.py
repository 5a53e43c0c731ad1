"""A Redis cache that degrades to "miss" while Redis is down.

The cache holds nothing that is only there: sessions are written through to the database,
throttle counters and cached fragments are rebuilt. So when Redis does not answer, a read is a
miss, a write is dropped, and the page goes on. After a failure the cache is skipped for a few
seconds (a small circuit breaker), so a host that does not answer at all costs one short
connect timeout, not one per call.
"""

import logging
import threading
import time

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache, RedisCacheClient

logger = logging.getLogger(__name__)

try:  # redis-py is installed wherever this backend is configured
    from redis.exceptions import ConnectionError as RedisConnectionError
    from redis.exceptions import TimeoutError as RedisTimeoutError

    DOWN_ERRORS: tuple[type[BaseException], ...] = (RedisConnectionError, RedisTimeoutError, OSError)
except ImportError:  # pragma: no cover
    DOWN_ERRORS = (OSError,)

#: seconds the cache is skipped after Redis failed to answer
SKIP_SECONDS = 5.0


class ReusedClientRedisCacheClient(RedisCacheClient):
    """Django's client makes a new `redis.Redis` object on every cache call (about 0.1 ms each,
    several calls a request); one per connection pool serves them all (the pool does the
    connection handling, and a `redis.Redis` object may be shared between threads)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


class ResilientRedisCache(RedisCache):
    """`django.core.cache.backends.redis.RedisCache` that answers "miss" instead of raising
    when Redis cannot be reached (connection refused, timeout)."""

    def __init__(self, server, params):
        options = params.setdefault("OPTIONS", {})
        # fail fast: a cache that needs longer than this is of no use to a web request
        options.setdefault("socket_connect_timeout", 0.5)
        options.setdefault("socket_timeout", 1.0)
        super().__init__(server, params)
        self._class = ReusedClientRedisCacheClient
        self._down_until = 0.0
        self._lock = threading.Lock()

    def _guard(self, default, fn, *args, **kwargs):
        if time.monotonic() < self._down_until:
            return default
        try:
            return fn(*args, **kwargs)
        except DOWN_ERRORS as exc:
            with self._lock:
                first = time.monotonic() >= self._down_until
                self._down_until = time.monotonic() + SKIP_SECONDS
            if first:
                logger.warning("cache unavailable, serving without it for %ss: %s", SKIP_SECONDS, exc)
            return default

    @property
    def is_down(self) -> bool:
        return time.monotonic() < self._down_until

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._guard(False, super().add, key, value, timeout, version)

    def get(self, key, default=None, version=None):
        return self._guard(default, super().get, key, default, version)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._guard(None, super().set, key, value, timeout, version)

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        return self._guard(False, super().touch, key, timeout, version)

    def delete(self, key, version=None):
        return self._guard(False, super().delete, key, version)

    def get_many(self, keys, version=None):
        return self._guard({}, super().get_many, keys, version)

    def has_key(self, key, version=None):
        return self._guard(False, super().has_key, key, version)

    def count_hit(self, key, timeout: int, version=None) -> int | None:
        """Adds one to the counter `key` and returns it, in one round trip; the counter starts at
        the first hit and lives `timeout` seconds. None while Redis is down."""
        key = self.make_and_validate_key(key, version=version)

        def run():
            pipe = self._cache.get_client(key, write=True).pipeline(transaction=False)
            pipe.set(key, 0, ex=timeout, nx=True)
            pipe.incr(key)
            return pipe.execute()[1]

        return self._guard(None, run)

    def incr(self, key, delta=1, version=None):
        missing = object()
        result = self._guard(missing, super().incr, key, delta, version)
        if result is missing:  # as if the key were not there: callers start a new counter
            raise ValueError(f"Key {key!r} not found (cache unavailable).")
        return result

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        return self._guard(list(data), super().set_many, data, timeout, version)

    def delete_many(self, keys, version=None):
        return self._guard(None, super().delete_many, keys, version)

    def clear(self):
        return self._guard(False, super().clear)


def cached_figures(key: str, compute, *, refresh: bool = False, keep_for: float = 1):
    """Figures that add up many accounts (the dashboard's), kept for FIGURES_CACHE_SECONDS per
    key so that reloading a page does not add up tens of thousands of rows again. Returns
    `(figures, as_of)`: the page says how fresh they are and offers a refresh (`refresh=True`
    recomputes). The key must name everything the figures depend on — the user (their
    visibility), the day, any filter. With FIGURES_CACHE_SECONDS = 0 (the tests) every call
    computes. `keep_for`: how many times FIGURES_CACHE_SECONDS the new entry lives (a job that
    refreshes it every period keeps it a little longer, so no reader falls between two runs)."""
    from django.conf import settings
    from django.core.cache import cache
    from django.utils import timezone

    seconds = getattr(settings, "FIGURES_CACHE_SECONDS", 60)
    full_key = f"figures:{key}"
    if seconds > 0 and not refresh:
        kept = cache.get(full_key)
        if kept is not None:
            return kept
    kept = (compute(), timezone.now())
    if seconds > 0:
        cache.set(full_key, kept, seconds * keep_for)
    return kept


def count_hit(key: str, timeout: int) -> int | None:
    """Hits counted under `key` in a window of `timeout` seconds from the first (the request rate
    limits): one Redis round trip, where Django's `add` + `incr` take three. None if the cache
    cannot count (Redis down): the caller lets the request through."""
    from django.core.cache import cache

    counter = getattr(cache, "count_hit", None)
    if counter is not None:
        return counter(key, timeout)
    cache.add(key, 0, timeout)
    try:
        return cache.incr(key)
    except ValueError:
        return None
