"""Filters every app's API and pages share."""

import datetime

import django_filters
from django_filters.fields import IsoDateTimeField


class UtcIsoDateTimeField(IsoDateTimeField):
    """An ISO 8601 moment with any offset Python accepts, handed to the database in UTC.

    PostgreSQL refuses offsets beyond ±15:59 ("time zone displacement out of range"), which made
    `?since=2026-01-01T00:00:00+16:00` a 500; the same moment in UTC is always accepted."""

    def to_python(self, value):
        value = super().to_python(value)
        return value.astimezone(datetime.UTC) if value is not None else None


class IsoDateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = UtcIsoDateTimeField
