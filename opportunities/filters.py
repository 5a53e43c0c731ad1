"""The opportunity and quote filters, shared by the list page, its export and the API."""

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from users.models import Team, User

from .models import CloseReason, Opportunity, Quote, Stage
from .selectors import pipeline_filter_owners, pipeline_filter_teams, team_q


class OpportunityFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label=_("Search"))
    stage = django_filters.ModelMultipleChoiceFilter(queryset=Stage.objects.all(), label=_("Stage"))
    outcome = django_filters.ChoiceFilter(
        field_name="stage__outcome", choices=Stage.Outcome.choices, label=_("Open, won or lost")
    )
    # the choices are what the user may see (set from the request in __init__)
    owner = django_filters.ModelChoiceFilter(queryset=User.objects.none(), label=_("Owner"))
    team = django_filters.ModelChoiceFilter(queryset=Team.objects.none(), method="filter_team", label=_("Team"))
    account = django_filters.NumberFilter(field_name="account_id", label=_("Account id"))
    close_from = django_filters.DateFilter(field_name="expected_close_on", lookup_expr="gte", label=_("Closing from"))
    close_to = django_filters.DateFilter(field_name="expected_close_on", lookup_expr="lte", label=_("Closing until"))
    min_amount = django_filters.NumberFilter(field_name="amount", lookup_expr="gte", label=_("Amount at least"))
    close_reason = django_filters.ChoiceFilter(choices=CloseReason.choices, label=_("Won/lost reason"))
    lost_to = django_filters.NumberFilter(field_name="lost_to_id", label=_("Lost to (competitor id)"))

    class Meta:
        model = Opportunity
        fields = [
            "q",
            "stage",
            "outcome",
            "owner",
            "team",
            "account",
            "close_from",
            "close_to",
            "min_amount",
            "close_reason",
            "lost_to",
        ]

    def __init__(self, data=None, queryset=None, *, request=None, user=None, **kwargs):
        super().__init__(data, queryset, request=request, **kwargs)
        user = user or getattr(request, "user", None)
        if user is not None:
            self.filters["owner"].queryset = pipeline_filter_owners(user=user)
            self.filters["team"].queryset = pipeline_filter_teams(user=user)

    def filter_team(self, queryset, name, value):
        return queryset.filter(team_q(value)) if value else queryset

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(title__icontains=value) | Q(account__name__icontains=value))


class QuoteFilter(django_filters.FilterSet):
    opportunity = django_filters.NumberFilter(field_name="opportunity_id")
    account = django_filters.NumberFilter(field_name="opportunity__account_id")
    status = django_filters.MultipleChoiceFilter(choices=Quote.Status.choices, distinct=False)
    number = django_filters.CharFilter()
    valid_from = django_filters.DateFilter(field_name="valid_until", lookup_expr="gte")
    valid_to = django_filters.DateFilter(field_name="valid_until", lookup_expr="lte")

    class Meta:
        model = Quote
        fields = ["opportunity", "account", "status", "number", "valid_from", "valid_to"]
