"""The SLA arithmetic, pinned to the minute (Asia/Shanghai)."""

import datetime

import pytest

from service_requests import sla

from .conftest import local

WEEKDAYS_9_TO_18 = sla.WorkingHours(weekdays=frozenset({0, 1, 2, 3, 4}), start=datetime.time(9), end=datetime.time(18))
H = datetime.timedelta(hours=1)


def test_calendar_hours_add_plainly():
    start = local(2026, 11, 30, 23, 59)
    assert sla.add_working_time(start, 2 * H, None) == local(2026, 12, 1, 1, 59)
    assert sla.working_time(start, local(2026, 12, 1, 1, 59), None) == 2 * H


def test_business_hours_across_a_weekend():
    """Friday 17:00 + 2 working hours: one hour on Friday, one on Monday morning."""
    friday = local(2026, 11, 27, 17, 0)
    assert friday.weekday() == 4
    assert sla.add_working_time(friday, 2 * H, WEEKDAYS_9_TO_18) == local(2026, 11, 30, 10, 0)
    assert sla.working_time(friday, local(2026, 11, 30, 10, 0), WEEKDAYS_9_TO_18) == 2 * H


def test_intake_just_before_midnight_counts_from_next_morning():
    """23:59 on a Monday: 24 working hours are Tue 9-18, Wed 9-18 and Thu 9-15."""
    monday_night = local(2026, 11, 30, 23, 59)
    assert sla.add_working_time(monday_night, 24 * H, WEEKDAYS_9_TO_18) == local(2026, 12, 3, 15, 0)


def test_no_working_time_outside_the_window():
    assert sla.working_time(local(2026, 11, 28, 10), local(2026, 11, 29, 20), WEEKDAYS_9_TO_18) == datetime.timedelta(0)


def test_business_hours_need_a_working_day():
    with pytest.raises(ValueError, match="at least one working day"):
        sla.add_working_time(
            local(2026, 11, 30, 9), H, sla.WorkingHours(frozenset(), datetime.time(9), datetime.time(18))
        )
