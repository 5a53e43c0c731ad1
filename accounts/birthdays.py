"""Birthdays in either calendar. A lunar birthday falls on a different Gregorian day each year."""

import datetime

from django.utils.translation import gettext as _
from lunardate import LunarDate


def birthday_error(contact) -> str | None:
    if contact.birth_month is None and contact.birth_day is None:
        return None
    if contact.birth_month is None or contact.birth_day is None:
        return _("Give both the month and the day of the birthday.")
    if contact.birthday_calendar == "lunar":
        if contact.birth_day > 30:
            return _("A lunar month has at most 30 days.")
        return None
    try:
        datetime.date(contact.birth_year or 2000, contact.birth_month, contact.birth_day)
    except ValueError:
        return _("That day does not exist in that month.")
    return None


def next_birthday(contact, *, today: datetime.date) -> datetime.date | None:
    """The next Gregorian date (today or later) the contact has a birthday on."""
    if contact.birth_month is None or contact.birth_day is None:
        return None
    for year in (today.year - 1, today.year, today.year + 1):
        day = _occurrence(contact, year)
        if day is not None and day >= today:
            return day
    return None


def _occurrence(contact, year: int) -> datetime.date | None:
    if contact.birthday_calendar == "lunar":
        for leap in (True, False) if contact.birth_leap_month else (False,):
            for dd in (contact.birth_day, 29):  # a missing 30th is kept on the 29th
                try:
                    return LunarDate(year, contact.birth_month, dd, leap).to_solar_date()
                except ValueError:
                    continue
        return None
    try:
        return datetime.date(year, contact.birth_month, contact.birth_day)
    except ValueError:  # 29 February in a common year: kept on 28 February
        return datetime.date(year, 2, 28)


def format_birthday(contact) -> str:
    if contact.birth_month is None or contact.birth_day is None:
        return ""
    if contact.birthday_calendar == "lunar":
        leap = _("leap ") if contact.birth_leap_month else ""
        text = _("Lunar %(leap)smonth %(m)s day %(d)s") % {
            "leap": leap,
            "m": contact.birth_month,
            "d": contact.birth_day,
        }
    else:
        text = f"{contact.birth_month:02d}-{contact.birth_day:02d}"
    return f"{contact.birth_year}-{text}" if contact.birth_year and contact.birthday_calendar != "lunar" else text
