"""The filters every report takes (period, team, account manager; the churn warning's month and
baseline), read from the query string by the page, the export and the API alike."""

import datetime
from dataclasses import dataclass

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.selectors import account_assignable_owners
from users.models import Team
from users.roles import Role
from users.visibility import has_role

MAX_PERIOD_DAYS = 3 * 366


@dataclass(frozen=True)
class ReportParams:
    start: datetime.date
    end: datetime.date  # inclusive
    team_id: int | None = None
    owner_id: int | None = None
    month: datetime.date | None = None
    baseline: datetime.date | None = None

    @property
    def months(self) -> tuple[datetime.date, datetime.date]:
        """The whole local months the period touches (first days): revenue is kept per month."""
        return self.start.replace(day=1), self.end.replace(day=1)


def default_period(today: datetime.date | None = None) -> tuple[datetime.date, datetime.date]:
    """The last twelve months, this one included."""
    today = today or timezone.localdate()
    year, month = today.year, today.month - 11
    if month < 1:
        year, month = year - 1, month + 12
    return datetime.date(year, month, 1), today


def selectable_teams(user):
    if has_role(user, Role.ADMIN, Role.DIRECTOR, Role.SERVICE, Role.FINANCE):
        return Team.objects.order_by("name")
    return Team.objects.filter(leader_id=user.pk).order_by("name")


DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")  # ISO whatever the language


class ReportFilterForm(forms.Form):
    start = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    end = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    team = forms.ModelChoiceField(label=_("Team"), queryset=Team.objects.none(), required=False)
    owner = forms.ModelChoiceField(label=_("Account manager"), queryset=Team.objects.none(), required=False)
    month = forms.DateField(
        label=_("Month"),
        required=False,
        widget=forms.DateInput(attrs={"type": "month"}, format="%Y-%m"),
        input_formats=["%Y-%m", "%Y-%m-%d"],
        help_text=_("Default: the last complete month."),
    )
    baseline = forms.DateField(
        label=_("Against"),
        required=False,
        widget=forms.DateInput(attrs={"type": "month"}, format="%Y-%m"),
        input_formats=["%Y-%m", "%Y-%m-%d"],
        help_text=_("Default: the same month a year earlier."),
    )

    def __init__(self, *args, user, fields=("period", "team", "owner"), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = selectable_teams(user)
        self.fields["owner"].queryset = account_assignable_owners(user=user)
        self.fields["owner"].label_from_instance = lambda u: u.full_name or u.username
        wanted = set()
        for name in fields:
            wanted |= {"start", "end"} if name == "period" else {name}
        for name in list(self.fields):
            if name not in wanted:
                del self.fields[name]
        for name, field in self.fields.items():
            css = "form-select form-select-sm" if name in ("team", "owner") else "form-control form-control-sm"
            field.widget.attrs["class"] = css

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end:
            if start > end:
                raise ValidationError(_("The period must start before it ends."), code="period_reversed")
            if (end - start).days > MAX_PERIOD_DAYS:
                raise ValidationError(_("Choose a period of at most three years."), code="period_too_long")
        return data

    def params(self) -> ReportParams:
        """The filters as applied: defaults where a field is empty (call after is_valid)."""
        data = self.cleaned_data if self.is_bound and self.is_valid() else {}
        start, end = default_period()
        start, end = data.get("start") or start, data.get("end") or end
        if start > end:
            start = end.replace(day=1)
        team, owner = data.get("team"), data.get("owner")
        month, baseline = data.get("month"), data.get("baseline")
        return ReportParams(
            start=start,
            end=end,
            team_id=team.pk if team else None,
            owner_id=owner.pk if owner else None,
            month=month.replace(day=1) if month else None,
            baseline=baseline.replace(day=1) if baseline else None,
        )
