import datetime

from django.utils import translation

from accounts.birthdays import birthday_error, format_birthday, next_birthday
from accounts.models import Contact


def contact(**kw):
    return Contact(name="x", **kw)


def test_gregorian_next_birthday_this_year_or_next():
    c = contact(birth_month=3, birth_day=15)
    assert next_birthday(c, today=datetime.date(2026, 3, 1)) == datetime.date(2026, 3, 15)
    assert next_birthday(c, today=datetime.date(2026, 3, 15)) == datetime.date(2026, 3, 15)
    assert next_birthday(c, today=datetime.date(2026, 3, 16)) == datetime.date(2027, 3, 15)


def test_29_february_falls_on_28_february_in_common_years():
    c = contact(birth_month=2, birth_day=29)
    assert next_birthday(c, today=datetime.date(2026, 1, 1)) == datetime.date(2026, 2, 28)
    assert next_birthday(c, today=datetime.date(2028, 1, 1)) == datetime.date(2028, 2, 29)


def test_lunar_birthday_moves_with_the_lunar_calendar():
    """Lunar 8/15 (Mid-Autumn) was 2025-10-06 and is 2026-09-25."""
    c = contact(birthday_calendar="lunar", birth_month=8, birth_day=15)
    assert next_birthday(c, today=datetime.date(2025, 9, 1)) == datetime.date(2025, 10, 6)
    assert next_birthday(c, today=datetime.date(2026, 1, 1)) == datetime.date(2026, 9, 25)
    with translation.override("en"):
        assert "Lunar" in format_birthday(c)


def test_validation_messages():
    assert birthday_error(contact(birth_month=4, birth_day=31))
    assert birthday_error(contact(birthday_calendar="lunar", birth_month=4, birth_day=31))
    assert birthday_error(contact(birth_month=4)) is not None
    assert birthday_error(contact()) is None
    assert next_birthday(contact(), today=datetime.date(2026, 1, 1)) is None
