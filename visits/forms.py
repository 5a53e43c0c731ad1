"""Forms of the visit pages and the activity composer. Dates are ISO in the browser's date and
datetime inputs, so they round-trip in every language."""

import datetime
from decimal import Decimal

from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accounts.models import Account, Contact
from core.forms import BootstrapFormMixin, score_field
from users.models import User
from users.visibility import visible_to

from .models import Callback, CoverageTarget, FollowUp, Visit

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
DATETIME_FORMAT = "%Y-%m-%dT%H:%M"
DATETIME_INPUTS = [DATETIME_FORMAT, "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"]


def _datetime_field(label, **kwargs):
    return forms.DateTimeField(
        label=label,
        input_formats=DATETIME_INPUTS,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_FORMAT),
        **kwargs,
    )


def _now_local():
    return timezone.localtime().replace(second=0, microsecond=0)


class AccountChoiceMixin(forms.Form):
    account_ref = forms.CharField(
        label=_("Account"),
        max_length=200,
        help_text=_("Account no. (e.g. KA00000012) or its exact name."),
    )

    def clean_account_ref(self):
        ref = self.cleaned_data["account_ref"].strip()
        qs = visible_to(self.user, Account.objects.filter(is_archived=False))
        matches = list(qs.filter(Q(number__iexact=ref) | Q(name__iexact=ref))[:2])
        if not matches:
            raise forms.ValidationError(_("No account you can see has this number or name."))
        if len(matches) > 1:
            raise forms.ValidationError(_("Several accounts have this name; use the account no."))
        return matches[0]


class VisitForm(BootstrapFormMixin, forms.ModelForm):
    planned_start = _datetime_field(_("Starts"))
    planned_end = _datetime_field(_("Ends"), required=False, help_text=_("An hour after the start, if left empty."))
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Visit
        fields = [
            "kind",
            "purpose",
            "planned_start",
            "planned_end",
            "location",
            "owner",
            "participants",
            "contacts",
            "materials",
            "materials_cost",
            "preparation",
        ]
        widgets = {
            "preparation": forms.Textarea(attrs={"rows": 3}),
            "participants": forms.SelectMultiple(attrs={"size": 4}),
            "contacts": forms.CheckboxSelectMultiple,
        }

    def __init__(self, *args, user, account: Account | None, **kwargs):
        self.user = user
        self.account = account
        super().__init__(*args, **kwargs)
        if account is None:  # chosen on the form: whom to meet is picked afterwards
            del self.fields["contacts"]
        people = User.objects.filter(is_active=True, groups__isnull=False).distinct().order_by("full_name", "username")
        self.fields["owner"].queryset = people
        self.fields["owner"].required = False
        self.fields["owner"].help_text = _("You, if left empty.")
        self.fields["participants"].queryset = people
        self.fields["participants"].required = False
        self.fields["materials_cost"].required = False
        if "contacts" in self.fields:
            self.fields["contacts"].queryset = Contact.objects.filter(account=account, is_archived=False)
            self.fields["contacts"].widget.attrs["class"] = ""
        if not self.is_bound and not self.instance.pk:
            start = _now_local().replace(minute=0) + datetime.timedelta(days=1, hours=1)
            self.initial.setdefault("planned_start", start.replace(hour=10) if start.hour > 17 else start)

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("planned_start"), cleaned.get("planned_end")
        if start and not end:
            cleaned["planned_end"] = start + datetime.timedelta(hours=1)
        if cleaned.get("materials_cost") is None:
            cleaned["materials_cost"] = Decimal("0")
        return cleaned

    def service_data(self) -> dict:
        data = {k: self.cleaned_data[k] for k in self.Meta.fields if k not in ("participants", "contacts")}
        data["owner"] = data.get("owner") or (self.instance.owner if self.instance.pk else self.user)
        return data


class NewVisitForm(AccountChoiceMixin, VisitForm):
    """Plan a visit from the visits pages, where the account is typed in."""

    field_order = ["account_ref"]


class VisitOutcomeForm(BootstrapFormMixin, forms.Form):
    """The record after a visit, with the customer's feedback form (客户拜访征询函)."""

    happened_at = _datetime_field(_("Happened at"))
    outcome = forms.CharField(label=_("Outcome"), widget=forms.Textarea(attrs={"rows": 3}))
    satisfaction = score_field()
    suggestions = forms.CharField(label=_("Suggestions"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    needs = forms.CharField(label=_("Needs discovered"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    next_step = forms.CharField(label=_("Next step"), required=False, max_length=300)
    follow_up_on = forms.DateField(label=_("Follow up on"), required=False, widget=DATE)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, visit: Visit, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("happened_at", min(timezone.localtime(visit.planned_start), _now_local()))
            self.initial.setdefault("version", visit.version)

    def service_data(self) -> dict:
        data = dict(self.cleaned_data)
        data.pop("version", None)
        return data


class VisitCancelForm(BootstrapFormMixin, forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=300)
    missed = forms.BooleanField(
        label=_("It was missed (did not happen as planned), not cancelled beforehand"), required=False
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


# --- the composer ---------------------------------------------------------------------------


class _NextStepMixin(forms.Form):
    next_step = forms.CharField(label=_("Next step"), required=False, max_length=300)
    next_step_on = forms.DateField(label=pgettext_lazy("date the next step is due", "by"), required=False, widget=DATE)


class CallbackForm(BootstrapFormMixin, _NextStepMixin, forms.ModelForm):
    occurred_at = _datetime_field(_("When"), required=False, help_text=_("Now, if left empty."))
    satisfaction = score_field()

    class Meta:
        model = Callback
        fields = ["contact", "summary", "satisfaction", "problem_raised", "problem", "channel", "occurred_at"]
        widgets = {
            "summary": forms.Textarea(attrs={"rows": 2}),
            "problem": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args, account: Account, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["contact"].queryset = Contact.objects.filter(account=account, is_archived=False)
        self.fields["contact"].empty_label = _("(someone else)")
        self.fields["problem"].label = _("Problem (if different from the summary)")
        self.fields["summary"].widget.attrs.update(
            {"placeholder": _("What did the customer say?"), "data-autofocus": "1"}
        )

    def service_data(self) -> dict:
        return dict(self.cleaned_data)


class NoteForm(BootstrapFormMixin, _NextStepMixin, forms.Form):
    body = forms.CharField(label=_("Note"), widget=forms.Textarea(attrs={"rows": 2, "data-autofocus": "1"}))

    def __init__(self, *args, account=None, **kwargs):
        super().__init__(*args, **kwargs)


class QuickVisitForm(BootstrapFormMixin, _NextStepMixin, forms.Form):
    """The composer's 'visit outcome': closes an open visit, or records one that was not planned."""

    visit = forms.ModelChoiceField(label=_("Visit"), queryset=Visit.objects.none(), required=False)
    kind = forms.ChoiceField(label=_("Kind"), choices=Visit.Kind.choices, initial=Visit.Kind.ON_SITE)
    purpose = forms.CharField(label=_("Purpose"), max_length=300, required=False)
    outcome = forms.CharField(label=_("Outcome"), widget=forms.Textarea(attrs={"rows": 2, "data-autofocus": "1"}))
    satisfaction = score_field()
    happened_at = _datetime_field(_("When"), required=False, help_text=_("Now, if left empty."))

    def __init__(self, *args, account: Account, **kwargs):
        super().__init__(*args, **kwargs)
        open_visits = Visit.objects.filter(
            account=account, status__in=[Visit.Status.PLANNED, Visit.Status.CONFIRMED]
        ).order_by("planned_start")
        self.fields["visit"].queryset = open_visits
        self.fields["visit"].empty_label = _("Not planned here: record a new one")
        self.fields["visit"].label_from_instance = lambda v: (
            f"{timezone.localtime(v.planned_start):%Y-%m-%d %H:%M} · {v.purpose}"
        )

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("visit") and not (cleaned.get("purpose") or "").strip():
            self.add_error("purpose", _("Say what the visit was for."))
        return cleaned


COMPOSER_FORMS = {"callback": CallbackForm, "call": CallbackForm, "visit": QuickVisitForm, "note": NoteForm}


class FollowUpForm(BootstrapFormMixin, forms.ModelForm):
    due_on = forms.DateField(label=_("Due on"), widget=DATE)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = FollowUp
        fields = ["title", "assignee", "due_on", "notes"]
        widgets = {"notes": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["assignee"].queryset = User.objects.filter(is_active=True, groups__isnull=False).distinct()
        if not self.is_bound and not self.instance.pk:
            self.initial.setdefault("assignee", user.pk)
            self.initial.setdefault("due_on", timezone.localdate() + datetime.timedelta(days=1))


class NewFollowUpForm(AccountChoiceMixin, FollowUpForm):
    field_order = ["account_ref"]


class CoverageTargetForm(BootstrapFormMixin, forms.ModelForm):
    class Meta:
        model = CoverageTarget
        fields = ["dimension", "value", "percent"]
