"""Filters of the visit, callback and follow-up lists: one set for the page, the export and the API."""

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.filters import account_search_q
from accounts.models import Tier
from users.models import Team, User

from .models import Callback, FollowUp, Visit


class _Base(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label=_("Account"))
    account = django_filters.NumberFilter(field_name="account_id", label=_("Account id"))
    tier = django_filters.MultipleChoiceFilter(
        field_name="account__tier", choices=Tier.choices, distinct=False, label=_("Tier")
    )
    team = django_filters.ModelChoiceFilter(field_name="account__team", queryset=Team.objects.all(), label=_("Team"))

    def search(self, queryset, name, value):
        value = (value or "").strip()
        if not value:
            return queryset
        return queryset.filter(account__in=_accounts_matching(value))


def _accounts_matching(term: str):
    from accounts.models import Account

    return Account.objects.filter(account_search_q(term)).values("pk")


class VisitFilter(_Base):
    status = django_filters.MultipleChoiceFilter(choices=Visit.Status.choices, distinct=False, label=_("Status"))
    kind = django_filters.MultipleChoiceFilter(choices=Visit.Kind.choices, distinct=False, label=_("Kind"))
    owner = django_filters.ModelChoiceFilter(
        queryset=User.objects.filter(is_active=True), method="filter_owner", label=_("Person")
    )
    date_from = django_filters.DateFilter(field_name="planned_start", lookup_expr="date__gte", label=_("From"))
    date_to = django_filters.DateFilter(field_name="planned_start", lookup_expr="date__lte", label=_("To"))

    class Meta:
        model = Visit
        fields = ["q", "account", "status", "kind", "owner", "tier", "team", "date_from", "date_to"]

    def filter_owner(self, queryset, name, value):
        if not value:
            return queryset
        joined = Visit.participants.through.objects.filter(user=value).values("visit_id")
        return queryset.filter(Q(owner=value) | Q(pk__in=joined))


class CallbackFilter(_Base):
    kind = django_filters.MultipleChoiceFilter(choices=Callback.Kind.choices, distinct=False, label=_("Kind"))
    channel = django_filters.MultipleChoiceFilter(choices=Callback.Channel.choices, distinct=False, label=_("Channel"))
    owner = django_filters.ModelChoiceFilter(
        field_name="created_by", queryset=User.objects.filter(is_active=True), label=_("Logged by")
    )
    problem = django_filters.ChoiceFilter(
        choices=[("open", _("Open problems")), ("any", _("Any problem raised"))],
        method="filter_problem",
        label=_("Problem"),
    )
    status = django_filters.ChoiceFilter(
        field_name="problem_status",
        choices=[c for c in Callback.ProblemStatus.choices if c[0]],
        label=_("Problem status"),
    )
    date_from = django_filters.DateFilter(field_name="occurred_at", lookup_expr="date__gte", label=_("From"))
    date_to = django_filters.DateFilter(field_name="occurred_at", lookup_expr="date__lte", label=_("To"))

    class Meta:
        model = Callback
        fields = [
            "q",
            "account",
            "kind",
            "channel",
            "owner",
            "problem",
            "status",
            "tier",
            "team",
            "date_from",
            "date_to",
        ]

    def filter_problem(self, queryset, name, value):
        if value == "open":
            return queryset.filter(
                problem_raised=True,
                problem_status__in=[Callback.ProblemStatus.OPEN, Callback.ProblemStatus.HANDED_OVER],
            )
        if value == "any":
            return queryset.filter(problem_raised=True)
        return queryset


class FollowUpFilter(_Base):
    owner = django_filters.ModelChoiceFilter(
        field_name="assignee", queryset=User.objects.filter(is_active=True), label=_("Who")
    )
    status = django_filters.ChoiceFilter(
        choices=[("open", _("Open")), ("overdue", _("Overdue")), ("done", _("Done"))],
        method="filter_status",
        label=_("Status"),
    )
    date_from = django_filters.DateFilter(field_name="due_on", lookup_expr="gte", label=_("Due from"))
    date_to = django_filters.DateFilter(field_name="due_on", lookup_expr="lte", label=_("Due to"))

    class Meta:
        model = FollowUp
        fields = ["q", "account", "owner", "status", "tier", "team", "date_from", "date_to"]

    def filter_status(self, queryset, name, value):
        from django.utils import timezone

        if value == "open":
            return queryset.filter(done_at__isnull=True)
        if value == "overdue":
            return queryset.filter(done_at__isnull=True, due_on__lt=timezone.localdate())
        if value == "done":
            return queryset.filter(done_at__isnull=False)
        return queryset
