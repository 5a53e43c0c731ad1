"""SLA arithmetic: working time between two moments and a deadline so much working time after one.

A department either counts calendar hours (the default) or business hours from its
`ServiceCalendar` (working days and a daily window in the local time zone). Everything here is
pure and works in aware datetimes; the services store the resulting deadlines on the request so
lists and sweeps can filter on them with an index.
"""

import datetime
from dataclasses import dataclass

from django.utils import timezone

# How much of a target may pass before a request counts as at risk (MISSION §4: escalate when near).
AT_RISK_SHARE = 0.8
# A breached request escalates once more, to the sales director, when this share of the target has passed.
CRITICAL_SHARE = 1.5
DISPATCH_TARGET = datetime.timedelta(hours=24)  # 000: to the responsible department within 24 hours


@dataclass(frozen=True)
class WorkingHours:
    """Business hours of a department: `weekdays` 0=Monday..6=Sunday, a daily [start, end) window."""

    weekdays: frozenset[int]
    start: datetime.time
    end: datetime.time

    def window(self, day: datetime.date, tz) -> tuple[datetime.datetime, datetime.datetime] | None:
        if day.weekday() not in self.weekdays:
            return None
        begin = timezone.make_aware(datetime.datetime.combine(day, self.start), tz)
        finish = timezone.make_aware(datetime.datetime.combine(day, self.end), tz)
        return begin, finish


CALENDAR_HOURS = None  # a department without business hours counts every hour


def working_time(start: datetime.datetime, end: datetime.datetime, hours: WorkingHours | None) -> datetime.timedelta:
    """The working time between two moments (zero when end is not after start)."""
    if end <= start:
        return datetime.timedelta(0)
    if hours is None:
        return end - start
    tz = timezone.get_current_timezone()
    total = datetime.timedelta(0)
    day = timezone.localtime(start, tz).date()
    last = timezone.localtime(end, tz).date()
    while day <= last:
        window = hours.window(day, tz)
        if window:
            lo, hi = max(window[0], start), min(window[1], end)
            if hi > lo:
                total += hi - lo
        day += datetime.timedelta(days=1)
    return total


def add_working_time(
    start: datetime.datetime, amount: datetime.timedelta, hours: WorkingHours | None
) -> datetime.datetime:
    """The moment at which `amount` of working time has passed since `start`."""
    if hours is None:
        return start + amount
    if not hours.weekdays or hours.end <= hours.start:
        raise ValueError("Business hours need at least one working day and a window that ends after it starts.")
    tz = timezone.get_current_timezone()
    left = amount
    day = timezone.localtime(start, tz).date()
    while True:
        window = hours.window(day, tz)
        if window:
            lo = max(window[0], start)
            if window[1] > lo:
                available = window[1] - lo
                if left <= available:
                    return lo + left
                left -= available
        day += datetime.timedelta(days=1)


def minutes(delta: datetime.timedelta) -> int:
    return int(delta.total_seconds() // 60)
