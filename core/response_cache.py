"""Whole responses kept per user until the data changes: the pages and API lists people reload
far more often than anyone writes (the account list, the 360° page, the list API).

A kept response is served only while nothing has been written since it was made. Every
connection watches its own statements (`watch_writes`, installed on each new database
connection): an INSERT, UPDATE, DELETE, MERGE, TRUNCATE or COPY to any table but the few that
hold no customer data (sessions, sign-in attempts) replaces the *data generation* — a random
token in the shared cache — once the transaction commits. Kept responses carry the generation
they were made under; any other generation is a miss. So a write by anyone, from a page, the
API, the admin, an import or a Celery job, retires every kept response at once: no list of what
depends on what to keep up to date, at the price of recomputing more than strictly needed after
a write. A response is also kept at most RESPONSE_CACHE_SECONDS (for what changes with the
clock alone: "today", "overdue").

What a key names: the user (their visibility and permissions), the language, the full path
with its query string, the headers that change the answer (htmx, Accept) and, for pages, the
CSRF cookie (a page carries a form token made from it). Only 200 answers to GET/HEAD are kept;
a request with a flash message waiting, or one that queued a message, bypasses the cache.

Needs a cache every process shares (Redis): with the per-process memory cache (make run without
REDIS_URL) a write in one process could not retire another's responses, so the setting's
default is 0 (off) there. If Redis stops answering, reads miss and writes cannot replace the
generation; responses kept before the outage may then be served up to RESPONSE_CACHE_SECONDS
after it.
"""

import functools
import hashlib
import re
import uuid

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.http import HttpResponse
from django.utils.translation import get_language

GENERATION_KEY = "data-generation"
KEY_PREFIX = "response"
# tables whose writes change no kept page: sessions, sign-in attempts, the beat schedule and the
# platform's bookkeeping (heartbeat, leases, periodic-run keys, API idempotency keys)
QUIET_TABLES = re.compile(
    r"^(django_session|axes_\w+|django_celery_beat_\w+|core_heartbeat|core_lease|core_periodicrun|core_idempotencykey)$"
)
_WRITE = re.compile(r"^\s*(INSERT|UPDATE|DELETE|MERGE|TRUNCATE|COPY)\b", re.IGNORECASE)
_WITH_WRITE = re.compile(r"\b(INSERT\s+INTO|UPDATE|DELETE\s+FROM)\b", re.IGNORECASE)
_TABLE = re.compile(r'^\s*(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+"?(\w+)"?', re.IGNORECASE)
# headers a kept response is restored with (the rest are the middleware's to add again)
_KEPT_HEADERS = ("Content-Type", "Vary", "Content-Language", "Content-Disposition")


def seconds() -> int:
    return int(getattr(settings, "RESPONSE_CACHE_SECONDS", 0))


# --- the data generation ----------------------------------------------------------------------


def data_generation() -> str | None:
    """The current generation token; made on first use (or after the cache lost it). None when
    the cache does not answer."""
    token = cache.get(GENERATION_KEY)
    if token is None:
        cache.add(GENERATION_KEY, uuid.uuid4().hex, None)
        token = cache.get(GENERATION_KEY)
    return token


def bump_data_generation() -> None:
    """Retire every kept response (called after a write commits)."""
    cache.set(GENERATION_KEY, uuid.uuid4().hex, None)


def is_data_write(sql: str) -> bool:
    """Whether a statement may change what a kept response shows."""
    if _WRITE.match(sql):
        table = _TABLE.match(sql)
        return not (table and QUIET_TABLES.match(table.group(1)))
    # a data-modifying CTE (WITH ... UPDATE ...); a CTE that only reads is no write
    return sql.lstrip()[:4].upper() == "WITH" and bool(_WITH_WRITE.search(sql))


def _bump_after_commit(connection) -> None:
    # once per transaction: a 10,000-row import is one bump, not one per statement
    if connection.in_atomic_block and any(entry[1] is bump_data_generation for entry in connection.run_on_commit):
        return
    try:
        transaction.on_commit(bump_data_generation, using=connection.alias)
    except transaction.TransactionManagementError:  # manual transaction management: bump now too
        bump_data_generation()


def _changed_rows(sql: str, cursor) -> bool:
    """False only when the statement is known to have changed no row: a sweep's UPDATE that found
    nothing to do. (With RETURNING the driver reports 0 until the rows are read: trusted never.)"""
    return cursor.rowcount != 0 or "RETURNING" in sql.upper()


def watch_writes(sender, connection, **kwargs) -> None:
    """`connection_created` receiver: watch this connection's statements for writes. The wrapper
    goes first in the list, so a `with connection.execute_wrapper(...)` block still pops its own."""

    def watcher(execute, sql, params, many, context):
        result = execute(sql, params, many, context)
        if seconds() > 0 and isinstance(sql, str) and is_data_write(sql) and _changed_rows(sql, context["cursor"]):
            _bump_after_commit(connection)
        return result

    if not any(getattr(w, "is_write_watcher", False) for w in connection.execute_wrappers):
        watcher.is_write_watcher = True
        connection.execute_wrappers.insert(0, watcher)


# --- keeping responses ------------------------------------------------------------------------


def _pending_messages(request) -> bool:
    if request.COOKIES.get("messages"):
        return True
    session = getattr(request, "session", None)
    return bool(session is not None and session.get("_messages"))


def _queued_messages(request) -> bool:
    storage = getattr(request, "_messages", None)
    return bool(storage is not None and getattr(storage, "_queued_messages", None))


def response_key(request) -> str:
    meta = request.META
    parts = [
        str(request.user.pk),
        get_language() or "",
        request.get_full_path(),
        meta.get("HTTP_HX_REQUEST", ""),
        meta.get("HTTP_HX_BOOSTED", ""),
        meta.get("HTTP_HX_TARGET", ""),
        meta.get("HTTP_ACCEPT", ""),
        # a page's forms (and the browsable API's) carry a token made from this browser's cookie
        request.COOKIES.get(settings.CSRF_COOKIE_NAME, ""),
    ]
    digest = hashlib.blake2b("\x1f".join(parts).encode(), digest_size=20).hexdigest()
    return f"{KEY_PREFIX}:{digest}"


def cacheable_request(request, *, page: bool) -> bool:
    if seconds() <= 0 or request.method not in ("GET", "HEAD"):
        return False
    if not getattr(request, "user", None) or not request.user.is_authenticated:
        return False
    if page and not request.COOKIES.get(settings.CSRF_COOKIE_NAME):
        return False  # the page would make a new CSRF cookie: nothing to keep it under
    return not _pending_messages(request)


def read_with_generation(request, keys: list[str]) -> dict:
    """`cache.get_many(keys)` and, in the same round trip, the data generation, which is then
    remembered on the request (`request_generation`) for whatever else this request keeps."""
    base = getattr(request, "_request", request)  # a DRF Request wraps Django's
    if seconds() <= 0:
        return cache.get_many(keys)
    if hasattr(base, "_data_generation"):
        return cache.get_many(keys) if keys else {}
    found = cache.get_many([GENERATION_KEY, *keys])
    generation = found.pop(GENERATION_KEY, None)
    base._data_generation = generation if generation is not None else data_generation()
    return found


def request_generation(request) -> str | None:
    """The data generation as this request first read it (None: keeping is off or the cache is
    down)."""
    base = getattr(request, "_request", request)
    if not hasattr(base, "_data_generation"):
        read_with_generation(request, [])
    return getattr(base, "_data_generation", None)


def kept_response(request, key: str):
    """The kept response under `key` if it was made under the current generation, else None."""
    kept = read_with_generation(request, [key]).get(key)
    generation = request_generation(request)
    if kept is None or generation is None or kept[0] != generation:
        return None
    _generation, status, headers, content = kept
    response = HttpResponse(content, status=status)
    for name, value in headers:
        response[name] = value
    response["X-Response-Cache"] = "hit"
    return response


def keep_response(request, key: str, response, generation: str | None) -> None:
    if generation is None:  # the cache did not answer: nothing to keep it under
        return
    if response.status_code != 200 or response.streaming or _queued_messages(request):
        return
    if response.has_header("Set-Cookie") or response.cookies:
        return
    headers = [(name, response[name]) for name in _KEPT_HEADERS if response.has_header(name)]
    cache.set(key, (generation, response.status_code, headers, response.content), seconds())


def cached_page(view):
    """A page view's response kept per user until the data changes (module docstring)."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        if not cacheable_request(request, page=True):
            return view(request, *args, **kwargs)
        key = response_key(request)
        hit = kept_response(request, key)
        if hit is not None:
            return hit
        # the generation was read before the data: a write committed while this page is being
        # made replaces it, and the page is kept under the old one (a miss next time)
        generation = request_generation(request)
        response = view(request, *args, **kwargs)
        if hasattr(response, "render") and callable(response.render):
            response = response.render()
        keep_response(request, key, response, generation)
        return response

    return wrapper


class CachedListMixin:
    """For a DRF viewset: the `list` answer kept per user until the data changes. Authentication,
    permissions and throttles have run when `list` is called; a hit skips the query, the
    serializer and the renderer."""

    def list(self, request, *args, **kwargs):
        if not cacheable_request(request, page=False):
            return super().list(request, *args, **kwargs)
        key = response_key(request)
        hit = kept_response(request, key)
        if hit is not None:
            return hit
        generation = request_generation(request)
        response = super().list(request, *args, **kwargs)
        self.response_cache_pending = (key, generation)
        return response

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        pending = getattr(self, "response_cache_pending", None)
        if pending and hasattr(response, "render"):
            response.render()
            keep_response(request, pending[0], response, pending[1])
        return response
