"""Background work that survives faults: enqueue with short timeouts, single-flight locks with a
progress stamp, and scheduled runs keyed by their period.

Every app's jobs use these three pieces (tiering's recompute today; the reminder, SLA and
late-fee sweeps next):

- `enqueue(task, ...)` sends a task from a web request: a broker that does not answer costs
  about a second, not twenty, and raises `BrokerUnavailable` (the view answers 503 and marks
  its job failed) instead of leaving a job "queued" that was never sent.
- `single_flight(name)` is the lock that the scheduled run and its manual twin ("run now")
  both take: one holder at a time; the holder stamps progress (`lease.touch()`), and a holder
  that stopped stamping for `JOB_ABANDONED_AFTER` (its worker was killed) is taken over.
- `run_periodic(name, period=..., fn=...)` runs `fn` under that lock once per period: a
  duplicate delivery, a redelivery after it finished, or a second beat process does nothing;
  a run that crashed half-way is run again by the redelivery.
"""

import datetime
import logging
import os
import socket
import uuid
from collections.abc import Callable
from contextlib import contextmanager
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from .models import Lease, PeriodicRun

logger = logging.getLogger(__name__)


def abandoned_after() -> datetime.timedelta:
    """How long a job or lock may go without progress before it counts as abandoned."""
    return datetime.timedelta(seconds=getattr(settings, "JOB_ABANDONED_AFTER_SECONDS", 300))


# --- enqueue ---------------------------------------------------------------------------------


class BrokerUnavailable(Exception):
    """The task could not be handed to the broker (Redis down or not answering)."""


def enqueue(task, *args, **kwargs):
    """Send `task` now, failing fast: no publish retries, short connect/socket timeouts.

    Raises `BrokerUnavailable` when the broker does not take it. Use from web requests and
    services; pass `countdown=` etc. through `options`.
    """
    options = kwargs.pop("options", {})
    try:
        return task.apply_async(args=args, kwargs=kwargs, retry=False, **options)
    except Exception as exc:  # kombu/redis raise many types (OperationalError, ConnectionError, OSError, timeouts)
        logger.warning("could not enqueue %s: %s: %s", task.name, type(exc).__name__, exc)
        raise BrokerUnavailable(f"{type(exc).__name__}: {exc}") from exc


def enqueue_on_commit(task, *args, on_failure: Callable[[BrokerUnavailable], None] | None = None, **kwargs) -> None:
    """`enqueue` after the current transaction commits. On failure `on_failure(exc)` runs (mark
    the job failed) and `BrokerUnavailable` propagates to the caller of the outermost atomic
    block, so a view can answer 503."""

    def send():
        try:
            enqueue(task, *args, **kwargs)
        except BrokerUnavailable as exc:
            if on_failure is not None:
                on_failure(exc)
            raise

    transaction.on_commit(send)


# --- single-flight lock -------------------------------------------------------------------------


class Busy(Exception):
    """Another run holds the single-flight lock."""

    def __init__(self, name: str, holder: str = ""):
        super().__init__(f"{name} is already running ({holder or 'unknown holder'})")
        self.name = name
        self.holder = holder


class LeaseHandle:
    def __init__(self, name: str, holder: str):
        self.name = name
        self.holder = holder

    def touch(self) -> bool:
        """Record progress; False if the lock was taken over (this holder was seen as dead)."""
        return bool(Lease.objects.filter(name=self.name, holder=self.holder).update(progress_at=timezone.now()))


def _holder_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def lease_acquire(name: str, *, holder: str | None = None, now: datetime.datetime | None = None) -> LeaseHandle:
    """Take the lock `name` or raise `Busy`. A lock whose holder made no progress for
    `abandoned_after()` is taken over."""
    now = now or timezone.now()
    holder = holder or _holder_id()
    if not Lease.objects.filter(name=name).exists():
        try:
            with transaction.atomic():
                Lease.objects.create(name=name, holder="", progress_at=now)
        except IntegrityError:
            pass  # created by a concurrent caller: compete for it below
    # one UPDATE decides: the row lock makes a concurrent taker re-check the condition
    taken = (
        Lease.objects.filter(name=name)
        .filter(Q(holder="") | Q(progress_at__lt=now - abandoned_after()) | Q(progress_at__isnull=True))
        .update(holder=holder, acquired_at=now, progress_at=now)
    )
    if not taken:
        current = Lease.objects.filter(name=name).values_list("holder", flat=True).first() or ""
        raise Busy(name, current)
    return LeaseHandle(name, holder)


def lease_release(handle: LeaseHandle) -> None:
    Lease.objects.filter(name=handle.name, holder=handle.holder).update(holder="", progress_at=timezone.now())


@contextmanager
def single_flight(name: str):
    """`with single_flight("reminders.sweep") as lease: ...` — raises `Busy` when held."""
    handle = lease_acquire(name)
    try:
        yield handle
    finally:
        lease_release(handle)


# --- periodic runs ----------------------------------------------------------------------------


def period_key(*, every: datetime.timedelta, now: datetime.datetime | None = None) -> str:
    """The period `now` falls in, in local time: the date for daily jobs, the minute (or hour)
    start otherwise. Two deliveries of one schedule tick share the key."""
    local = timezone.localtime(now or timezone.now())
    seconds = int(every.total_seconds())
    if seconds >= 86400 and seconds % 86400 == 0:
        days = seconds // 86400
        ordinal = local.date().toordinal()
        return datetime.date.fromordinal(ordinal - ordinal % days).isoformat()
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    into_day = int((local - midnight).total_seconds())
    start = midnight + datetime.timedelta(seconds=into_day - into_day % max(seconds, 1))
    return start.strftime("%Y-%m-%dT%H:%M:%S")


def run_periodic(name: str, *, period: str, fn: Callable[[LeaseHandle], Any], hostname: str = "") -> tuple[bool, Any]:
    """Run `fn(lease)` once for (`name`, `period`) under `single_flight(name)`.

    Answers (ran, result). Skips (False, None) when another run holds the lock (a duplicate
    delivery while the first still runs) or when this period already finished (a duplicate
    after it, or a second beat). A run that raised leaves the period unfinished, so a retry or
    redelivery runs it again.
    """
    try:
        lease = lease_acquire(name)
    except Busy as busy:
        logger.info("%s [%s] skipped: %s", name, period, busy)
        return False, None
    try:
        now = timezone.now()
        run = PeriodicRun.objects.filter(name=name, period=period).first()
        if run is not None and run.finished_at is not None:
            logger.info("%s [%s] already ran at %s; skipped", name, period, run.finished_at)
            return False, None
        if run is None:
            run = PeriodicRun.objects.create(name=name, period=period, started_at=now, hostname=hostname[:255])
        else:  # the earlier attempt crashed or failed: this one runs it again
            run.runs += 1
            run.started_at = now
            run.hostname = hostname[:255]
            run.save(update_fields=["runs", "started_at", "hostname"])
        result = fn(lease)
        run.finished_at = timezone.now()
        run.result = str(result)[:300] if result is not None else ""
        run.save(update_fields=["finished_at", "result"])
        return True, result
    finally:
        lease_release(lease)


def run_scheduled(name: str, *, every: datetime.timedelta, fn: Callable[[], Any], skipped: Any = None) -> Any:
    """A beat job's body: `fn()` once per period of length `every` (local time), under the job's
    single-flight lock. A duplicate delivery or a second beat gets `skipped` and does nothing."""
    ran, result = run_periodic(name, period=period_key(every=every), fn=lambda lease: fn())
    return result if ran else skipped


def periodic_runs_purge(*, older_than: datetime.timedelta = datetime.timedelta(days=30)) -> int:
    """Drop the ledger rows of old periods (they can no longer be delivered again)."""
    deleted, _ = PeriodicRun.objects.filter(started_at__lt=timezone.now() - older_than).delete()
    return deleted
