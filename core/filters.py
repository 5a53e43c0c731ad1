"""Filters every app's API and pages share."""

import datetime

import django_filters
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django_filters.fields import IsoDateTimeField
from django_filters.rest_framework import DjangoFilterBackend


class UtcIsoDateTimeField(IsoDateTimeField):
    """An ISO 8601 moment with any offset Python accepts, handed to the database in UTC.

    PostgreSQL refuses offsets beyond ±15:59 ("time zone displacement out of range"), which made
    `?since=2026-01-01T00:00:00+16:00` a 500; the same moment in UTC is always accepted."""

    def to_python(self, value):
        value = super().to_python(value)
        if value is None:
            return None
        try:
            return value.astimezone(datetime.UTC)
        except OverflowError as exc:  # e.g. 0001-01-01T00:00:00+01:00 is before year 1 in UTC
            raise ValidationError(_("Enter a moment between the years 1 and 9999."), code="invalid") from exc


class IsoDateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = UtcIsoDateTimeField


# query parameters of the API that are not filters (pagination, ordering, sparse fields)
NOT_FILTERS = frozenset({"page", "page_size", "ordering", "fields", "count", "format"})


class FilterBackend(DjangoFilterBackend):
    """django-filter's backend, minus the cost of building and validating a form on a request
    that names no filter (the common "give me the next page"): the queryset goes on as it is,
    or through the filter set's `unfiltered(queryset)` where it has defaults of its own."""

    def filter_queryset(self, request, queryset, view):
        filterset_class = self.get_filterset_class(view, queryset)
        if filterset_class is not None and request.query_params.keys() <= NOT_FILTERS:
            unfiltered = getattr(filterset_class, "unfiltered", None)
            return unfiltered(queryset) if unfiltered is not None else queryset
        return super().filter_queryset(request, queryset, view)
