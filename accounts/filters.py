"""The account list's filters, shared by the page, the export and the API.

Multiple-choice filters say distinct=False: they join nothing, and SELECT DISTINCT over every
column costs more than the rest of the query on 100k accounts."""

import django_filters
from django.utils.translation import gettext_lazy as _

from core.filters import IsoDateTimeFilter
from users.models import Team, User
from users.roles import Role

from .models import AbcClass, Account, Contact, Feedback, RfmSegment, Tier, Transaction
from .selectors import account_search_q, stale_contact_q


class AccountFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label=_("Search"))
    category = django_filters.MultipleChoiceFilter(
        choices=Account.Category.choices, distinct=False, label=_("Category")
    )
    status = django_filters.MultipleChoiceFilter(choices=Account.Status.choices, distinct=False, label=_("Status"))
    tier = django_filters.MultipleChoiceFilter(choices=Tier.choices, distinct=False, label=_("Tier"))
    abc_class = django_filters.MultipleChoiceFilter(choices=AbcClass.choices, distinct=False, label=_("ABC class"))
    rfm_segment = django_filters.MultipleChoiceFilter(
        choices=RfmSegment.choices, distinct=False, label=_("RFM segment")
    )
    industry = django_filters.MultipleChoiceFilter(
        choices=Account.Industry.choices, distinct=False, label=_("Industry")
    )
    region = django_filters.CharFilter(lookup_expr="iexact", label=_("Region"))
    owner = django_filters.ModelChoiceFilter(
        queryset=User.objects.filter(groups__name=Role.MANAGER.value).distinct(),
        label=_("Account manager"),
    )
    team = django_filters.ModelChoiceFilter(queryset=Team.objects.all(), label=_("Team"))
    parent = django_filters.NumberFilter(field_name="parent_id", label=_("Parent account id"))
    archived = django_filters.BooleanFilter(field_name="is_archived", label=_("Archived"))
    contact = django_filters.ChoiceFilter(
        choices=[("stale", _("No contact in 30 days"))],
        method="filter_contact",
        label=_("Last contact"),
    )

    class Meta:
        model = Account
        fields = [
            "q",
            "category",
            "status",
            "tier",
            "abc_class",
            "rfm_segment",
            "industry",
            "region",
            "owner",
            "team",
            "parent",
            "archived",
            "contact",
        ]

    def filter_contact(self, queryset, name, value):
        """contact=stale: no contact in the last 30 days, or never (the dashboard's card)."""
        return queryset.filter(stale_contact_q()) if value == "stale" else queryset

    def search(self, queryset, name, value):
        return queryset.filter(account_search_q(value)) if value.strip() else queryset

    @staticmethod
    def unfiltered(queryset):
        """Archived accounts leave every list unless asked for."""
        return queryset.filter(is_archived=False)

    @property
    def qs(self):
        qs = super().qs
        if getattr(self.form, "cleaned_data", {}).get("archived") is None:
            qs = self.unfiltered(qs)
        return qs


class ContactFilter(django_filters.FilterSet):
    account = django_filters.NumberFilter(field_name="account_id")
    role = django_filters.MultipleChoiceFilter(choices=Contact.Role.choices, distinct=False)
    attitude = django_filters.MultipleChoiceFilter(choices=Contact.Attitude.choices, distinct=False)
    birth_month = django_filters.NumberFilter()
    archived = django_filters.BooleanFilter(field_name="is_archived")

    class Meta:
        model = Contact
        fields = ["account", "role", "attitude", "birth_month", "archived", "is_primary"]


class TransactionFilter(django_filters.FilterSet):
    account = django_filters.NumberFilter(field_name="account_id")
    kind = django_filters.MultipleChoiceFilter(choices=Transaction.Kind.choices, distinct=False)
    occurred_after = IsoDateTimeFilter(field_name="occurred_at", lookup_expr="gte")
    occurred_before = IsoDateTimeFilter(field_name="occurred_at", lookup_expr="lt")
    source_system = django_filters.CharFilter()
    external_ref = django_filters.CharFilter()
    product_line = django_filters.CharFilter(lookup_expr="icontains")

    class Meta:
        model = Transaction
        fields = ["account", "kind", "source_system", "external_ref", "product_line"]


class FeedbackFilter(django_filters.FilterSet):
    account = django_filters.NumberFilter(field_name="account_id")
    status = django_filters.MultipleChoiceFilter(choices=Feedback.Status.choices, distinct=False)
    satisfaction_max = django_filters.NumberFilter(field_name="satisfaction", lookup_expr="lte")
    received_after = django_filters.DateFilter(field_name="received_on", lookup_expr="gte")

    class Meta:
        model = Feedback
        fields = ["account", "status", "channel", "satisfaction"]
