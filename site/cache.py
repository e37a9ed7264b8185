"""Redis as the shared cache, and what the site does while Redis cannot be reached.

Every cache read or write goes to Redis. When Redis does not answer (connection refused, timeout),
the call goes to the cache named by ``OPTIONS["FALLBACK"]`` instead, and so does every call for
the next ``RETRY_AFTER`` seconds (no request waits for a dead server twice); then Redis is tried
again. Without a fallback a read misses and a write is dropped.

settings.CACHES uses it twice:

- ``default`` (rate limits, the counter's guess counters, import progress, Wagtail's site paths)
  falls back to the database cache. Limits must hold while Redis is away, for every web process
  at once; the database is the one store every process already shares, so a per-process memory
  cache would multiply each limit by the number of workers. Counts start afresh when Redis comes
  back (at most one window's worth of extra tries).
- ``pages`` (the anonymous readers' page cache) has no fallback: pages are rendered, not cached,
  while Redis is away, instead of filling the database with HTML.

The table of the database cache is made by the migration ``meijia/0001_cache_table``.
"""

import logging
import time

from django.core.cache import caches
from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

UNREACHABLE = (RedisConnectionError, RedisTimeoutError)
_SKIPPED = object()


class FallbackRedisCache(RedisCache):
    def __init__(self, server, params):
        options = dict(params.get("OPTIONS") or {})
        self.fallback_alias: str | None = options.pop("FALLBACK", None)
        self.retry_after: float = float(options.pop("RETRY_AFTER", 5))
        super().__init__(server, {**params, "OPTIONS": options})
        self._down_until = 0.0

    def _call(self, name: str, skipped, *args, **kwargs):
        if time.monotonic() >= self._down_until:
            try:
                return getattr(RedisCache, name)(self, *args, **kwargs)
            except UNREACHABLE as error:
                self._down_until = time.monotonic() + self.retry_after
                logger.warning(
                    "Redis cache unreachable (%s); using %s for %ss",
                    type(error).__name__,
                    self.fallback_alias or "no cache",
                    self.retry_after,
                )
        if self.fallback_alias is None:
            return skipped
        return getattr(caches[self.fallback_alias], name)(*args, **kwargs)

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call("add", False, key, value, timeout, version)

    def get(self, key, default=None, version=None):
        return self._call("get", default, key, default, version)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call("set", None, key, value, timeout, version)

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call("touch", False, key, timeout, version)

    def delete(self, key, version=None):
        return self._call("delete", False, key, version)

    def get_many(self, keys, version=None):
        return self._call("get_many", {}, keys, version)

    def has_key(self, key, version=None):
        return self._call("has_key", False, key, version)

    def incr(self, key, delta=1, version=None):
        value = self._call("incr", _SKIPPED, key, delta, version)
        if value is _SKIPPED:
            raise ValueError(f"Key '{key}' not found (no cache while Redis is unreachable)")
        return value

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call("set_many", list(data), data, timeout, version)

    def delete_many(self, keys, version=None):
        return self._call("delete_many", None, keys, version)

    def clear(self):
        return self._call("clear", False)
