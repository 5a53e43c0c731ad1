"""Sessions read from the cache and written through to the database (Django's `cached_db`),
with the cached copy kept for a few minutes only.

With Redis down the cache answers "miss" (`core.cache.ResilientRedisCache`) and every session is
read from the database, so signing in, pages and signing out keep working. A sign-out during the
outage deletes the database row but cannot delete the cached copy; because cached copies live at
most `SESSION_CACHE_SECONDS`, such a session ends everywhere within that time after Redis is back.
"""

from django.conf import settings
from django.contrib.sessions.backends import cached_db


def _cache_seconds(age: int) -> int:
    return max(0, min(int(age), int(getattr(settings, "SESSION_CACHE_SECONDS", 300))))


class SessionStore(cached_db.SessionStore):
    def load(self):
        try:
            data = self._cache.get(self.cache_key)
        except Exception:
            data = None
        if data is None:
            s = self._get_session_from_db()
            if s:
                data = self.decode(s.session_data)
                try:
                    self._cache.set(self.cache_key, data, _cache_seconds(self.get_expiry_age(expiry=s.expire_date)))
                except Exception:
                    cached_db.logger.warning("session not cached (%s)", self._cache, exc_info=True)
            else:
                data = {}
        return data

    def save(self, must_create=False):
        super(cached_db.SessionStore, self).save(must_create)  # the database row first
        try:
            self._cache.set(self.cache_key, self._session, _cache_seconds(self.get_expiry_age()))
        except Exception:
            cached_db.logger.warning("session not cached (%s)", self._cache, exc_info=True)

    def delete(self, session_key=None):
        super(cached_db.SessionStore, self).delete(session_key)
        if session_key is None:
            if self.session_key is None:
                return
            session_key = self.session_key
        try:
            self._cache.delete(self.cache_key_prefix + session_key)
        except Exception:
            cached_db.logger.warning("cached session not deleted (%s)", self._cache, exc_info=True)

    def exists(self, session_key):
        try:
            if session_key and (self.cache_key_prefix + session_key) in self._cache:
                return True
        except Exception:  # the cache is down: the database answers below
            cached_db.logger.warning("session cache not read (%s)", self._cache, exc_info=True)
        return super(cached_db.SessionStore, self).exists(session_key)
