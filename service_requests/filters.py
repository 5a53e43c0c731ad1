import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from users.models import Department

from .models import ServiceRequest
from .selectors import assignable_users


class ServiceRequestFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label=_("Search"))
    account = django_filters.NumberFilter(field_name="account_id", label=_("Account"))
    status = django_filters.ChoiceFilter(choices=ServiceRequest.Status.choices, empty_label=_("Any status"))
    priority = django_filters.ChoiceFilter(choices=ServiceRequest.Priority.choices, empty_label=_("Any priority"))
    category = django_filters.ChoiceFilter(choices=ServiceRequest.Category.choices, empty_label=_("Any category"))
    channel = django_filters.ChoiceFilter(choices=ServiceRequest.Channel.choices, empty_label=_("Any channel"))
    department = django_filters.ModelChoiceFilter(
        queryset=Department.objects.all(), empty_label=_("Any department"), label=_("Department")
    )
    assignee = django_filters.ModelChoiceFilter(
        queryset=assignable_users(), empty_label=_("Anyone"), label=_("Assignee")
    )
    received_after = django_filters.DateFilter(field_name="received_at", lookup_expr="date__gte", label=_("From"))
    received_before = django_filters.DateFilter(field_name="received_at", lookup_expr="date__lte", label=_("To"))
    breached = django_filters.BooleanFilter(field_name="breached", label=_("SLA breached"))

    class Meta:
        model = ServiceRequest
        fields = ["status", "priority", "category", "channel", "department", "assignee", "breached"]

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(number__icontains=value)
            | Q(subject__icontains=value)
            | Q(account__name__icontains=value)
            | Q(account__number__iexact=value)
        )
