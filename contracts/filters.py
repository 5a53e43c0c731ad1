"""The contract list's filters, shared by the page, the export and the API."""

import django_filters
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from users.models import User
from users.roles import Role

from .models import Contract, ContractType, Payment
from .selectors import expiring_q, overdue_q


class ContractFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label=_("Search"))
    status = django_filters.MultipleChoiceFilter(choices=Contract.Status.choices, distinct=False, label=_("Status"))
    type = django_filters.MultipleChoiceFilter(choices=ContractType.choices, distinct=False, label=_("Type"))
    owner = django_filters.ModelChoiceFilter(
        queryset=User.objects.filter(groups__name=Role.MANAGER.value).distinct(), label=_("Owner")
    )
    account = django_filters.NumberFilter(field_name="account_id", label=_("Account id"))
    expiring_days = django_filters.NumberFilter(
        method="filter_expiring", label=_("Expiring within (days)"), min_value=0, max_value=3650
    )
    overdue = django_filters.BooleanFilter(method="filter_overdue", label=_("Overdue payments"))

    class Meta:
        model = Contract
        fields = ["q", "status", "type", "owner", "account", "expiring_days", "overdue"]

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(number__icontains=value) | Q(title__icontains=value) | Q(account__name__icontains=value)
        )

    def filter_expiring(self, queryset, name, value):
        if value is None:
            return queryset
        return queryset.filter(expiring_q(as_of=timezone.localdate(), days=int(value)))

    def filter_overdue(self, queryset, name, value):
        if value is None:
            return queryset
        q = overdue_q(as_of=timezone.localdate())
        return queryset.filter(q) if value else queryset.exclude(q)


class PaymentFilter(django_filters.FilterSet):
    contract = django_filters.NumberFilter(field_name="contract_id")
    account = django_filters.NumberFilter(field_name="account_id")
    received_from = django_filters.DateFilter(field_name="received_on", lookup_expr="gte")
    received_to = django_filters.DateFilter(field_name="received_on", lookup_expr="lte")
    reference = django_filters.CharFilter()
    voided = django_filters.BooleanFilter(field_name="voided_at", lookup_expr="isnull", exclude=True, label=_("Voided"))

    class Meta:
        model = Payment
        fields = ["contract", "account", "method", "received_from", "received_to", "reference", "voided"]
